import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { TestHub } from './test-hub';

const ROOT = path.resolve(__dirname, '..', '..');
const LAUNCHER = path.join(ROOT, 'scripts', 'hub.js');

/**
 * The operator's CLI as a person runs it (`npm run hub -- …`, i.e. scripts/hub.js running the build), on the
 * hub's database and config file, with `input` on its stdin (e.g. a password). Global set-up has brought dist up
 * to date.
 */
export function hubCli(
  hub: Pick<TestHub, 'databaseUrl' | 'queuePrefix'>,
  configFile: string,
  args: string[],
  input?: string,
  env: Record<string, string | undefined> = {},
) {
  const result = spawnSync(process.execPath, [LAUNCHER, ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      HUB_CONFIG: configFile,
      DATABASE_URL: hub.databaseUrl,
      QUEUE_PREFIX: hub.queuePrefix,
      ...env,
    },
    input,
    encoding: 'utf8',
    timeout: 60000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * hubCli without blocking the test's event loop: needed while a peer started by the test (a storescp at debug
 * level) writes to a pipe the test must keep draining, or it stalls mid-association.
 */
export function hubCliAsync(
  hub: Pick<TestHub, 'databaseUrl' | 'queuePrefix'>,
  configFile: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [LAUNCHER, ...args], {
    cwd: ROOT,
    env: { ...process.env, HUB_CONFIG: configFile, DATABASE_URL: hub.databaseUrl, QUEUE_PREFIX: hub.queuePrefix },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
