import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { TestHub } from './test-hub';

const ROOT = path.resolve(__dirname, '..', '..');
// Global set-up brought dist up to date through scripts/hub.js (what `npm run hub` runs); the specs run the build
// directly, so that a source edited during a run cannot make one command recompile inside a test's time.
const CLI_MAIN = path.join(ROOT, 'dist', 'apps', 'cli', 'src', 'main.js');

/**
 * The operator's CLI as a person runs it (`npm run hub -- …` runs this build), on the hub's database and config
 * file, with `input` on its stdin (e.g. a password).
 */
export function hubCli(
  hub: Pick<TestHub, 'databaseUrl' | 'queuePrefix'>,
  configFile: string,
  args: string[],
  input?: string,
  env: Record<string, string | undefined> = {},
) {
  const result = spawnSync(process.execPath, [CLI_MAIN, ...args], {
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
  const child = spawn(process.execPath, [CLI_MAIN, ...args], {
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
