// The benchmark's input sets, generated once and kept between runs: a set is complete when its marker file exists.
// Generation goes to a scratch directory renamed into place, so a concurrent or interrupted run never sees half a set.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBigInstances, makeStudy } from '../../test/support/dicom-factory';

export type SetName = 'ct300' | 'small2000' | 'big' | 'study1g';
export const SET_NAMES: readonly SetName[] = ['ct300', 'small2000', 'big', 'study1g'];
/** What runs without --sets: study1g (a 1 GiB study, for memory) is asked for by name. */
export const DEFAULT_SET_NAMES: readonly SetName[] = ['ct300', 'small2000', 'big'];

export interface Dataset {
  name: SetName;
  dir: string;
  /** Sorted, so splitting into quarters is stable between runs. */
  files: string[];
  bytes: number;
}

const MARKER = '.complete';
// Bump when the generated content changes, so stale caches are rebuilt.
const VERSION = 1;

async function generate(name: SetName, dir: string): Promise<void> {
  switch (name) {
    case 'ct300':
      await makeStudy(dir, { patientId: 'BENCH1', patientName: 'BENCH^CT', series: [{ kind: 'ct', count: 300 }] });
      return;
    case 'small2000':
      await makeStudy(dir, {
        patientId: 'BENCH2',
        patientName: 'BENCH^SMALL',
        series: [{ kind: 'mr-small', count: 2000 }],
      });
      return;
    case 'big':
      makeBigInstances(dir, 2, 64);
      return;
    case 'study1g':
      // One study of 16 × 64 MiB: the receiver's memory must not grow with the study.
      makeBigInstances(dir, 16, 64);
      return;
  }
}

function listDicom(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.dcm'))
    .sort()
    .map((f) => join(dir, f));
}

export async function ensureDataset(name: SetName, baseDir: string): Promise<Dataset> {
  const dir = join(baseDir, name);
  const marker = join(dir, MARKER);
  const valid = (): boolean => {
    try {
      return (JSON.parse(readFileSync(marker, 'utf8')) as { version?: number }).version === VERSION;
    } catch {
      return false;
    }
  };
  if (!valid()) {
    const scratch = `${dir}.tmp-${process.pid}`;
    rmSync(scratch, { recursive: true, force: true });
    const started = Date.now();
    await generate(name, scratch);
    const files = listDicom(scratch);
    writeFileSync(join(scratch, MARKER), JSON.stringify({ version: VERSION, count: files.length }));
    if (!valid()) {
      rmSync(dir, { recursive: true, force: true });
      try {
        renameSync(scratch, dir);
      } catch (err) {
        // Another run finished the same set first; use theirs.
        if (!valid()) {
          throw err;
        }
      }
    }
    rmSync(scratch, { recursive: true, force: true });
    process.stderr.write(`generated ${name} (${files.length} files) in ${Date.now() - started} ms\n`);
  }
  const files = listDicom(dir);
  const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
  if (!existsSync(marker) || files.length === 0) {
    throw new Error(`data set ${name} in ${dir} is empty`);
  }
  return { name, dir, files, bytes };
}
