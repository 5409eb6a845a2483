import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TLSSocket } from 'node:tls';
import { stringify } from 'yaml';
import { freePort, stopProcess, waitForPort } from './support/dcmtk';
import { TEST_REDIS_URL, specDatabaseUrl, testHubConfig } from './support/test-hub';

const HOST = '127.0.0.1';
const PORTAL_MAIN = path.resolve(__dirname, '..', 'dist', 'apps', 'portal', 'src', 'main.js');

/** A self-signed certificate for 127.0.0.1, made with openssl for this run. */
function makeCertificate(dir: string): { certificate: string; key: string } {
  const certificate = path.join(dir, 'portal.crt');
  const key = path.join(dir, 'portal.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      certificate,
      '-subj',
      '/CN=iehub-portal-test',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-days',
      '2',
    ],
    { stdio: 'pipe' },
  );
  return { certificate, key };
}

function httpsCall(
  port: number,
  method: string,
  route: string,
  ca: Buffer,
  body?: unknown,
): Promise<{ status: number; headers: Record<string, unknown>; body: string; peerCn: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: HOST,
        port,
        method,
        path: route,
        ca,
        headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        const peerCn = String((res.socket as TLSSocket).getPeerCertificate().subject?.CN ?? '');
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, peerCn }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The built portal (node dist/apps/portal/src/main.js), as it runs in production, with this config file. */
function startPortal(configFile: string): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [PORTAL_MAIN], {
    env: {
      ...process.env,
      HUB_CONFIG: configFile,
      DATABASE_URL: specDatabaseUrl(),
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: `t${randomBytes(4).toString('hex')}`,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

// portal.tls: the portal's own port speaks HTTPS with the configured certificate, and nothing else.
describe('portal over HTTPS when a certificate is configured', () => {
  let work: string;
  let portal: { child: ChildProcess; output: () => string } | undefined;
  let httpPort: number;
  let ca: Buffer;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'iehub-e2e-https-'));
    const tls = makeCertificate(work);
    ca = readFileSync(tls.certificate);
    httpPort = await freePort();
    const raw = testHubConfig(await freePort(), path.join(work, 'store'), 1) as {
      hub: Record<string, unknown>;
      portal?: Record<string, unknown>;
    };
    mkdirSync(path.join(work, 'store'));
    raw.hub.httpPort = httpPort;
    raw.portal = { tls };
    const configFile = path.join(work, 'hub.yaml');
    writeFileSync(configFile, stringify(raw));
    portal = startPortal(configFile);
    const child = portal.child;
    await waitForPort(httpPort, 90_000, { pid: child.pid, isAlive: () => child.exitCode === null }).catch((error) => {
      throw new Error(`${(error as Error).message}\n${portal?.output()}`);
    });
  }, 120_000);

  afterAll(async () => {
    if (portal) {
      await stopProcess(portal.child);
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('serves the API over TLS with the configured certificate, with the security headers', async () => {
    const health = await httpsCall(httpPort, 'GET', '/api/health/live', ca);
    expect(health.status).toBe(200);
    expect(health.peerCn).toBe('iehub-portal-test');
    expect(health.headers['x-content-type-options']).toBe('nosniff');
    const login = await httpsCall(httpPort, 'POST', '/api/auth/login', ca, { username: 'nobody', password: 'wrong' });
    expect(login.status).toBe(401);
  });

  it('does not answer plain HTTP on that port', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = httpGet({ host: HOST, port: httpPort, path: '/api/health/live' }, (res) => {
        res.resume();
        resolve(`answered ${res.statusCode}`);
      });
      req.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code ?? error.message}`));
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    });
    expect(outcome).toMatch(/^error /);
  });

  it('refuses to start, naming the field, when the certificate cannot be read', async () => {
    const raw = testHubConfig(await freePort(), path.join(work, 'store'), 1) as {
      hub: Record<string, unknown>;
      portal?: Record<string, unknown>;
    };
    raw.hub.httpPort = await freePort();
    raw.portal = { tls: { certificate: path.join(work, 'missing.crt'), key: path.join(work, 'portal.key') } };
    const configFile = path.join(work, 'bad.yaml');
    writeFileSync(configFile, stringify(raw));
    const bad = startPortal(configFile);
    const code = await new Promise<number | null>((resolve) => bad.child.once('exit', (exitCode) => resolve(exitCode)));
    expect(code).toBe(1);
    expect(bad.output()).toContain(`portal.tls.certificate: cannot read ${path.join(work, 'missing.crt')} (ENOENT)`);
  });
});
