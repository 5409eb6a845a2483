import { readFileSync } from 'node:fs';
import { ScuTarget } from './scu-association';

/** The hub's certificate, key and the CA of its nodes, read once per set of files. */
export interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
  ca: Buffer;
}

const loaded = new Map<string, TlsMaterial>();

export function tlsMaterial(files: { certificate: string; key: string; ca: string }): TlsMaterial {
  const id = `${files.certificate}\n${files.key}\n${files.ca}`;
  let material = loaded.get(id);
  if (!material) {
    material = { cert: readFileSync(files.certificate), key: readFileSync(files.key), ca: readFileSync(files.ca) };
    loaded.set(id, material);
  }
  return material;
}

/**
 * Where the hub's own associations to a node go (delivery, fetch, C-MOVE sub-operations): over DICOM TLS
 * with the hub's certificate when the node requires TLS, verifying the node's certificate against the CA.
 */
export function scuTargetFor(
  node: { host: string; port: number; aeTitle: string; tlsSubject: string | null },
  hub: { aeTitle: string; tls?: { certificate: string; key: string; ca: string } },
): ScuTarget {
  return {
    host: node.host,
    port: node.port,
    callingAeTitle: hub.aeTitle,
    calledAeTitle: node.aeTitle,
    ...(node.tlsSubject !== null && hub.tls ? { tls: tlsMaterial(hub.tls) } : {}),
  };
}
