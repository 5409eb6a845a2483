import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { dcmtkEnv, freePort, stopProcess, waitForPort } from './dcmtk';

export const ORTHANC_BINARY = '/usr/sbin/Orthanc';
export const ORTHANC_DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

export interface OrthancHandle {
  httpPort: number;
  dicomPort: number;
  aeTitle: string;
  /** GET or POST on Orthanc's REST API, JSON both ways. */
  rest<T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T>;
  log(): string;
  stop(): Promise<unknown>;
}

/**
 * Orthanc with its DICOMweb plugin, as an independent DICOMweb client (its `DicomWeb.Servers`) and a DICOM
 * node (C-FIND/C-MOVE SCP on `dicomPort`, AE `aeTitle`, answering any caller).
 */
export async function startOrthanc(options: {
  dir: string;
  aeTitle: string;
  dicomwebServers?: Record<string, { Url: string; HttpHeaders?: Record<string, string> }>;
  modalities?: Record<string, [string, string, number]>;
}): Promise<OrthancHandle> {
  const dicomPort = await freePort();
  let httpPort = await freePort();
  while (httpPort === dicomPort) {
    httpPort = await freePort();
  }
  mkdirSync(path.join(options.dir, 'storage'), { recursive: true });
  mkdirSync(path.join(options.dir, 'index'), { recursive: true });
  const configFile = path.join(options.dir, 'orthanc.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      Name: options.aeTitle,
      StorageDirectory: path.join(options.dir, 'storage'),
      IndexDirectory: path.join(options.dir, 'index'),
      Plugins: [ORTHANC_DICOMWEB_PLUGIN],
      HttpServerEnabled: true,
      HttpPort: httpPort,
      RemoteAccessAllowed: false,
      AuthenticationEnabled: false,
      DicomServerEnabled: true,
      DicomAet: options.aeTitle,
      DicomPort: dicomPort,
      DicomCheckCalledAet: false,
      DicomAlwaysAllowEcho: true,
      DicomAlwaysAllowStore: true,
      DicomAlwaysAllowFind: true,
      DicomAlwaysAllowMove: true,
      DicomCheckModalityHost: false,
      DicomModalities: options.modalities ?? {},
      DicomWeb: { Enable: true, Root: '/dicom-web/', Servers: options.dicomwebServers ?? {} },
      SaveJobs: false,
      StableAge: 1,
    }),
  );
  let output = '';
  const child: ChildProcess = spawn(ORTHANC_BINARY, [configFile], {
    env: dcmtkEnv(),
    cwd: options.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
  await waitForPort(httpPort, 20_000);
  await waitForPort(dicomPort, 20_000);
  return {
    httpPort,
    dicomPort,
    aeTitle: options.aeTitle,
    async rest<T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
      const response = await fetch(`http://127.0.0.1:${httpPort}${route}`, {
        method,
        ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } } : {}),
      });
      const text = await response.text();
      if (!response.ok) {
        throw new Error(`Orthanc ${method} ${route}: ${response.status} ${text}`);
      }
      return (text ? JSON.parse(text) : undefined) as T;
    },
    log: () => output,
    stop: () => stopProcess(child),
  };
}
