import { ConfigError, HubConfig } from '@hub/config';
import { readFileSync } from 'node:fs';

/**
 * The portal's HTTPS certificate and key when `portal.tls` names them (the HTTP port then speaks only HTTPS),
 * else undefined for plain HTTP. A file that cannot be read stops the process naming it, like a bad field.
 */
export function portalHttpsOptionsOrExit(config: HubConfig): { cert: Buffer; key: Buffer } | undefined {
  try {
    return portalHttpsOptions(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

export function portalHttpsOptions(config: HubConfig): { cert: Buffer; key: Buffer } | undefined {
  const tls = config.portal.tls;
  if (!tls) {
    return undefined;
  }
  const problems: string[] = [];
  const read = (field: 'certificate' | 'key') => {
    try {
      return readFileSync(tls[field]);
    } catch (error) {
      problems.push(`portal.tls.${field}: cannot read ${tls[field]} (${(error as NodeJS.ErrnoException).code})`);
      return Buffer.alloc(0);
    }
  };
  const options = { cert: read('certificate'), key: read('key') };
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return options;
}
