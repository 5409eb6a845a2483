import { spawnSync } from 'node:child_process';
// The hub under test: its apps built once into the run's own folder (not the shared dist/, which other test runs
// in this checkout may be using) and started as separate node processes from a hub YAML the suite writes.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { waitForPort } from '../support/dcmtk';
import { Managed, ProcessRegistry, until } from './processes';

export const REPO = resolve(__dirname, '..', '..');
export type AppName = 'receiver' | 'router' | 'forwarder';

export const SENDER_AE = 'RVJ_PACS';
export const RECIPIENT_AE = 'RA7_PACS';
export const RECIPIENT_MAX_ASSOCIATIONS = 2;
export const CALLED_AE = { emergency: 'RA7_EMER', elective: 'RA7_ELEC' } as const;

/** Compiles apps and libs with the project's build config (tsc + tsc-alias) into outDir. */
export function buildHub(outDir: string): void {
  const bin = join(REPO, 'node_modules', '.bin');
  execFileSync(join(bin, 'tsc'), ['-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: REPO, stdio: 'inherit' });
  execFileSync(join(bin, 'tsc-alias'), ['-p', 'tsconfig.build.json', '--outDir', outDir], {
    cwd: REPO,
    stdio: 'inherit',
  });
}

export function writeHubConfig(
  file: string,
  o: { dicomPort: number; httpPort: number; storageDir: string; recipientPort: number },
): void {
  const config = {
    hub: {
      aeTitle: 'IEP_HUB',
      bindAddress: '127.0.0.1',
      dicomPort: o.dicomPort,
      httpPort: o.httpPort,
      storageDir: o.storageDir,
      stableStudySeconds: 2,
    },
    // The suite's storage is a 128 MiB loop-mounted file system, below the default 1 GiB floor, which would
    // refuse every instance; "storage full" is the disk itself filling up.
    storage: { minFreeMegabytes: 0 },
    // Several receivers, routers and forwarders run at once here: no fixed monitoring port for them to share.
    monitoring: { receiverPort: 0, routerPort: 0, forwarderPort: 0 },
    trusts: [
      {
        code: 'RVJ',
        name: 'North Bristol NHS Trust',
        patientIdIssuer: 'RVJ',
        inbound: { emergency: 'RVJ_EMER', elective: 'RVJ_ELEC' },
        nodes: [
          { aeTitle: SENDER_AE, host: '127.0.0.1', port: 4104, allowedIps: ['127.0.0.1'], send: true, receive: 'none' },
        ],
      },
      {
        code: 'RA7',
        name: 'University Hospitals Bristol and Weston',
        patientIdIssuer: 'RA7',
        inbound: CALLED_AE,
        nodes: [
          {
            aeTitle: RECIPIENT_AE,
            host: '127.0.0.1',
            port: o.recipientPort,
            allowedIps: ['127.0.0.1'],
            send: false,
            receive: 'push',
            maxAssociations: RECIPIENT_MAX_ASSOCIATIONS,
          },
        ],
      },
    ],
    agreements: [{ from: 'RVJ', to: 'RA7', folders: ['emergency', 'elective'] }],
  };
  writeFileSync(file, stringify(config));
}

export interface HubEnv {
  distDir: string;
  configFile: string;
  databaseUrl: string;
  redisUrl: string;
  queuePrefix: string;
}

// What an app without a listener logs once its start-up (configuration applied, workers built) is done.
const READY: Record<AppName, RegExp> = {
  receiver: /configuration in the database/,
  router: /configuration in the database/,
  forwarder: /delivering to \d+ push node/,
};

/** The operator's CLI, compiled like the apps, on the same database and Redis. */
export function runHubCli(env: HubEnv, args: string[]): { code: number | null; output: string } {
  const result = spawnSync(process.execPath, [join(env.distDir, 'apps', 'cli', 'src', 'main.js'), ...args], {
    env: {
      ...process.env,
      HUB_CONFIG: env.configFile,
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      QUEUE_PREFIX: env.queuePrefix,
      NODE_PATH: join(REPO, 'node_modules'),
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/** One app process; `dicomPort` for a receiver (ready once it listens), otherwise ready once Nest has started. */
export class HubApp {
  readonly process: Managed;

  constructor(
    readonly app: AppName,
    readonly name: string,
    env: HubEnv,
    registry: ProcessRegistry,
    readonly dicomPort?: number,
  ) {
    this.process = registry.add(name, process.execPath, [join(env.distDir, 'apps', app, 'src', 'main.js')], {
      ...process.env,
      HUB_CONFIG: env.configFile,
      DATABASE_URL: env.databaseUrl,
      REDIS_URL: env.redisUrl,
      QUEUE_PREFIX: env.queuePrefix,
      LOG_LEVEL: 'log',
      NO_COLOR: '1',
      // The build lives outside the repository; its requires still resolve the project's packages.
      NODE_PATH: join(REPO, 'node_modules'),
    });
  }

  async start(timeoutMs = 60_000): Promise<void> {
    this.process.start();
    try {
      await this.waitReady(timeoutMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.name} printed:\n${this.process.tail(40)}`);
    }
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const alive = (): boolean => this.process.alive;
    if (this.dicomPort !== undefined) {
      await waitForPort(this.dicomPort, timeoutMs, { pid: this.process.pid, isAlive: alive });
    } else {
      await until(
        `${this.name} to start`,
        () => {
          if (!alive()) {
            throw new Error(`${this.name} exited while starting:\n${this.process.tail()}`);
          }
          return READY[this.app].test(this.process.output());
        },
        timeoutMs,
      );
    }
  }

  async kill(): Promise<void> {
    await this.process.kill();
  }

  async restart(): Promise<void> {
    await this.start();
  }
}
