import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { dcmtkEnv, freePort, stopProcess, waitForPort } from './dcmtk';

export interface DcmqrscpHandle {
  port: number;
  aeTitle: string;
  log(): string;
  stop(): Promise<unknown>;
}

/**
 * DCMTK's dcmqrscp as a trust's source PACS: one AE (`aeTitle`) with its own database in `dir`, loaded
 * with storescu, answering C-FIND and C-MOVE. `moveDestinations` are the AEs it may send to (C-MOVE).
 * It forks per association: Debian's dcmqrscp 3.6.7 with --single-process crashes (SIGSEGV) after a store.
 */
export async function startDcmqrscp(options: {
  dir: string;
  aeTitle: string;
  moveDestinations: Array<{ aeTitle: string; host: string; port: number }>;
}): Promise<DcmqrscpHandle> {
  const port = await freePort();
  const storage = path.join(options.dir, 'db');
  mkdirSync(storage, { recursive: true });
  const configFile = path.join(options.dir, 'dcmqrscp.cfg');
  writeFileSync(
    configFile,
    [
      `NetworkTCPPort = ${port}`,
      'MaxPDUSize = 65536',
      'MaxAssociations = 16',
      'HostTable BEGIN',
      ...options.moveDestinations.map(
        (destination, index) => `peer${index} = (${destination.aeTitle}, ${destination.host}, ${destination.port})`,
      ),
      'HostTable END',
      'VendorTable BEGIN',
      'VendorTable END',
      'AETable BEGIN',
      `${options.aeTitle} ${storage} RW (500, 1024mb) ANY`,
      'AETable END',
      '',
    ].join('\n'),
  );
  let output = '';
  const child: ChildProcess = spawn('dcmqrscp', ['-dhl', '-v', '-c', configFile], {
    env: dcmtkEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
  await waitForPort(port, 10000);
  return {
    port,
    aeTitle: options.aeTitle,
    log: () => output,
    stop: () => stopProcess(child),
  };
}
