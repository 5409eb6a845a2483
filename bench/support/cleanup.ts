// One place that knows what the benchmark started, so a failure, `exit` or Ctrl-C leaves no receiver running and no
// stored copies behind.
import { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { descendantPids, killAllDcmtk } from '../../test/support/dcmtk';

const processes = new Set<ChildProcess>();
const dirs = new Set<string>();
let installed = false;

export function trackProcess(child: ChildProcess): ChildProcess {
  processes.add(child);
  child.once('exit', () => processes.delete(child));
  return child;
}

export function trackDir(dir: string): string {
  dirs.add(dir);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  dirs.delete(dir);
}

/** Synchronous, so it can run from an 'exit' handler. */
export function cleanUpNow(): void {
  for (const child of processes) {
    if (child.pid !== undefined) {
      for (const pid of descendantPids(child.pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    child.kill('SIGKILL');
  }
  killAllDcmtk();
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    } catch (err) {
      process.stderr.write(`could not remove ${dir}: ${(err as Error).message}\n`);
    }
  }
  dirs.clear();
}

export function installCleanupHandlers(): void {
  if (installed) {
    return;
  }
  installed = true;
  process.on('exit', cleanUpNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: stopping receivers and removing temporary storage\n`);
      cleanUpNow();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}
