import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, formatPath } from './config.error';
import { hubConfigSchema } from './hub-config.schema';
import { HubConfig } from './hub-config.types';

/** Validates an already-parsed hub configuration; throws ConfigError listing every problem. */
export function parseHubConfig(raw: unknown, source = 'hub configuration'): HubConfig {
  const result = hubConfigSchema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    throw new ConfigError(issues, `Invalid hub configuration (${source})`);
  }
  return result.data;
}

/** Reads, parses and validates the hub configuration file; throws ConfigError naming the file and every problem. */
export function loadHubConfig(path: string): HubConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError([`${path}: cannot read the file (${reason})`], 'Cannot load hub configuration');
  }

  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    const issues = document.errors.map((error) => {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      return `${path}:${line}:${col}: ${error.message}`;
    });
    throw new ConfigError(issues, `Invalid YAML in ${path}`);
  }

  let raw: unknown;
  try {
    raw = document.toJS();
  } catch (error) {
    // e.g. the alias-expansion limit that guards against "billion laughs" documents.
    throw new ConfigError([`${path}: ${(error as Error).message}`], `Invalid YAML in ${path}`);
  }
  return parseHubConfig(raw, path);
}
