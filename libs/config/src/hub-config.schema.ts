import { aeTitleProblem } from '@hub/dicom';
import { resolveTag } from '@hub/coercion';
import { isIP } from 'node:net';
import { z } from 'zod';
import { formatPath } from './config.error';
import { FOLDER_NAMES, HubConfig } from './hub-config.types';

type Path = (string | number)[];
interface Problem {
  path: Path;
  message: string;
}

const TRUST_CODE = /^[A-Z0-9]{1,16}$/;
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;
const DICOM_TAG = /^(?:[A-Za-z][A-Za-z0-9]*|\([0-9A-Fa-f]{4},[0-9A-Fa-f]{4}\)|[0-9A-Fa-f]{8})$/;
const MODALITY = /^[A-Z0-9_]{1,16}$/;
// A date-time must carry its offset: several processes, possibly in different time zones, read the same file.
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2})))?$/;

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  float: 'a fractional number',
  boolean: 'true or false',
  null: 'an empty value',
  nan: 'NaN',
  date: 'a date',
};
const typeName = (type: string): string => TYPE_NAMES[type] ?? type;

/** Messages written for a hub operator editing YAML rather than for a programmer. */
export const hubConfigErrorMap: z.ZodErrorMap = (issue, ctx) => {
  switch (issue.code) {
    case z.ZodIssueCode.invalid_type: {
      if (issue.received === 'undefined') {
        return { message: 'required' };
      }
      const quote = issue.expected === 'string' && ['number', 'boolean', 'float', 'integer'].includes(issue.received);
      return {
        message: `expected ${typeName(issue.expected)}, got ${typeName(issue.received)}${quote ? ' (quote it in YAML)' : ''}`,
      };
    }
    case z.ZodIssueCode.invalid_enum_value:
      return { message: `expected one of ${issue.options.join(', ')}, got ${JSON.stringify(issue.received)}` };
    case z.ZodIssueCode.too_small:
      if (issue.type === 'array') {
        return { message: `must have at least ${issue.minimum} ${issue.minimum === 1 ? 'entry' : 'entries'}` };
      }
      if (issue.type === 'string') {
        return { message: issue.minimum === 1 ? 'empty' : `shorter than ${issue.minimum} characters` };
      }
      if (issue.type === 'number') {
        return { message: `must be ${issue.inclusive ? 'at least' : 'greater than'} ${issue.minimum}` };
      }
      break;
    case z.ZodIssueCode.too_big:
      if (issue.type === 'string') {
        return { message: `longer than ${issue.maximum} characters` };
      }
      if (issue.type === 'number') {
        return { message: `must be ${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}` };
      }
      break;
    case z.ZodIssueCode.not_finite:
      return { message: 'must be a finite number' };
  }
  return { message: ctx.defaultError };
};

const custom = (message: string, path: Path = []) => ({ code: z.ZodIssueCode.custom, message, path });

const aeTitle = z
  .string()
  .trim()
  .superRefine((value, ctx) => {
    const problem = aeTitleProblem(value);
    if (problem) {
      ctx.addIssue(custom(problem));
    }
  });

const ipAddress = z.string().refine(
  (value) => isIP(value) !== 0,
  (value) => ({ message: `not an IPv4 or IPv6 address: ${JSON.stringify(value)}` }),
);

const host = z.string().refine(
  (value) => isIP(value) !== 0 || HOST_NAME.test(value),
  (value) => ({ message: `not a host name or IP address: ${JSON.stringify(value)}` }),
);

const port = z.number().int().min(1).max(65535);

const dicomTag = z
  .string()
  .regex(DICOM_TAG, { message: 'not a DICOM keyword or tag (write e.g. PatientID, (0010,0020) or 00100020)' });

function isoDateProblem(value: string): string | undefined {
  const m = ISO_DATE.exec(value);
  if (!m) {
    return `not an ISO date (YYYY-MM-DD) or date-time with offset (YYYY-MM-DDThh:mm:ssZ): ${JSON.stringify(value)}`;
  }
  const [year, month, day, hour = 0, minute = 0, second = 0, offsetHour = 0, offsetMinute = 0] = m
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part)));
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  const valid =
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    day! <= daysInMonth &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHour <= 23 &&
    offsetMinute <= 59;
  return valid ? undefined : `not a valid date: ${JSON.stringify(value)}`;
}

const isoDate = z.string().superRefine((value, ctx) => {
  const problem = isoDateProblem(value);
  if (problem) {
    ctx.addIssue(custom(problem));
  }
});

// Data element text fields (LO) may not hold a backslash or control characters.
const longString = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\\\x00-\x1f]*$/, { message: 'contains a backslash or control character' });

const folder = (defaults: { retentionHours: number; forwardWhileReceiving: boolean }) =>
  z
    .object({
      retentionHours: z.number().positive().finite().default(defaults.retentionHours),
      forwardWhileReceiving: z.boolean().default(defaults.forwardWhileReceiving),
    })
    .strict()
    .default({});

const hubShape = {
  aeTitle,
  bindAddress: ipAddress.default('0.0.0.0'),
  dicomPort: port.default(11112),
  httpPort: port.default(8080),
  storageDir: z.string().min(1).default('./var/store'),
  stableStudySeconds: z.number().positive().finite().default(5),
  maxPduLength: z.number().int().min(4096).max(1048576).default(65536),
  tls: z
    .object({
      port: port.default(2762),
      certificate: z.string().min(1),
      key: z.string().min(1),
      ca: z.string().min(1),
    })
    .strict()
    .optional(),
};
const hubSection = z
  .object(hubShape)
  .strict()
  .superRefine((hub, ctx) => {
    if (hub.httpPort === hub.dicomPort) {
      ctx.addIssue(custom(`same as dicomPort (${hub.dicomPort})`, ['httpPort']));
    }
  });

// Emergency studies go on to a push recipient while they are still arriving; elective ones wait for completion.
const foldersShape = {
  emergency: folder({ retentionHours: 18, forwardWhileReceiving: true }),
  elective: folder({ retentionHours: 192, forwardWhileReceiving: false }),
};

const dicomShape = {
  maxAssociations: z.number().int().min(1).max(10000).default(200),
  maxAssociationsPerCallingAe: z.number().int().min(1).max(10000).default(32),
  requestTimeoutSeconds: z.number().positive().max(3600).default(10),
  idleTimeoutSeconds: z.number().positive().max(86400).default(60),
};

// Express `trust proxy`: which hops may say who the client is (X-Forwarded-For). Express's names for ranges, or
// addresses and subnets of the reverse proxies.
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const proxyAddress = z.string().refine(
  (value) => {
    const [address, prefix, ...rest] = value.trim().split('/');
    return (
      PROXY_RANGE_NAMES.includes(value.trim()) ||
      (isIP(address) !== 0 && rest.length === 0 && (prefix === undefined || /^\d{1,3}$/.test(prefix)))
    );
  },
  (value) => ({ message: `not loopback, linklocal, uniquelocal, an IP address or a subnet: ${JSON.stringify(value)}` }),
);

const portalShape = {
  maxFailedLogins: z.number().int().min(1).max(100).default(5),
  lockoutMinutes: z.number().positive().finite().default(15),
  sessionIdleMinutes: z.number().positive().finite().default(30),
  sessionMaxHours: z.number().positive().finite().default(12),
  // Counted by address, not by account, so that failing on purpose cannot lock someone else out of the hub.
  loginFailuresPerAddress: z.number().int().min(1).max(10000).default(10),
  loginFailureWindowMinutes: z.number().positive().max(1440).default(15),
  // false: the connection's own address is the client's. Behind a reverse proxy: its address(es), or a hop count.
  trustProxy: z
    .union([z.boolean(), z.number().int().min(0).max(10), z.array(proxyAddress).min(1), proxyAddress])
    .default(false),
  // HTTPS on hub.httpPort when set (PEM files); plain HTTP otherwise, e.g. behind a TLS-terminating proxy.
  tls: z
    .object({ certificate: z.string().min(1), key: z.string().min(1) })
    .strict()
    .optional(),
};

const storageShape = {
  minFreeMegabytes: z.number().min(0).finite().default(1024),
};

// Port 0: no listener. Only the apps without a portal of their own (receiver, router, forwarder) open one.
const monitoringPort = z.number().int().min(0).max(65535);
const monitoringShape = {
  receiverPort: monitoringPort.default(9101),
  routerPort: monitoringPort.default(9102),
  forwarderPort: monitoringPort.default(9103),
  metricsToken: z.string().min(16, { message: 'shorter than 16 characters' }).optional(),
};

const dicomwebShape = {
  corsOrigins: z.array(z.string().url().or(z.literal('*'))).default([]),
};

const viewerLinksShape = {
  defaultHours: z.number().positive().max(8760).default(72),
  requireLogin: z.boolean().default(false),
};

const findItShape = {
  timeoutSeconds: z.number().positive().max(300).default(10),
};

const nodeShape = {
  aeTitle,
  host,
  port,
  allowedIps: z.array(ipAddress).min(1, { message: 'list at least one IP address the node connects from' }),
  send: z.boolean().default(false),
  receive: z.enum(['push', 'pull', 'none']).default('none'),
  maxAssociations: z.number().int().min(1).max(64).default(2),
  queryRetrieve: z.boolean().default(false),
  tls: z.boolean().default(false),
  certificateSubject: z.string().min(1).max(255).optional(),
};

const coercionShape = {
  op: z.enum(['set', 'prefix', 'copy', 'remove']),
  tag: dicomTag,
  value: z.string().optional(),
  from: dicomTag.optional(),
  check: z.enum(['nhs-number']).optional(),
};
const coercionRule = z
  .object(coercionShape)
  .strict()
  .superRefine((rule, ctx) => {
    const takesValue = rule.op === 'set' || rule.op === 'prefix';
    if (takesValue && rule.value === undefined) {
      ctx.addIssue(custom(`required for op ${rule.op}`, ['value']));
    }
    if (!takesValue && rule.value !== undefined) {
      ctx.addIssue(custom(`not used by op ${rule.op}`, ['value']));
    }
    if (rule.op === 'copy' && rule.from === undefined) {
      ctx.addIssue(custom('required for op copy (the tag to copy from)', ['from']));
    }
    if (rule.op !== 'copy' && rule.from !== undefined) {
      ctx.addIssue(custom(`not used by op ${rule.op}`, ['from']));
    }
    for (const field of ['tag', 'from'] as const) {
      const spec = rule[field];
      // Keywords only: a malformed tag is already reported, and a well-formed number always resolves.
      if (spec !== undefined && /^[A-Za-z][A-Za-z0-9]*$/.test(spec) && !resolveTag(spec)) {
        ctx.addIssue(custom(`unknown DICOM keyword or tag "${spec}"`, [field]));
      }
    }
  });

const inboundShape = { emergency: aeTitle.optional(), elective: aeTitle.optional() };

const trustShape = {
  code: z.string().regex(TRUST_CODE, { message: 'must be an ODS code: 1 to 16 capital letters and digits' }),
  name: z.string().min(1),
  patientIdIssuer: longString,
  inbound: z.object(inboundShape).strict().default({}),
  nodes: z.array(z.object(nodeShape).strict()).min(1),
  coercion: z.array(coercionRule).default([]),
  nhsNumberKey: z.enum(['PatientID', 'OtherPatientIDs']).default('PatientID'),
};

const folderName = z.enum(['emergency', 'elective']);

const agreementShape = {
  from: z.string(),
  to: z.string(),
  folders: z
    .array(folderName)
    .min(1)
    .superRefine((folders, ctx) => {
      folders.forEach((folder, i) => {
        if (folders.indexOf(folder) !== i) {
          ctx.addIssue(custom(`"${folder}" listed twice`, [i]));
        }
      });
    }),
  modalities: z
    .array(z.string().regex(MODALITY, { message: 'not a DICOM modality code (e.g. CT, MR, DX)' }))
    .min(1, { message: 'list at least one modality, or leave modalities out to allow all' })
    .optional(),
  activeFrom: isoDate.optional(),
  activeUntil: isoDate.optional(),
  suspended: z.boolean().default(false),
};
const agreement = z
  .object(agreementShape)
  .strict()
  .superRefine((a, ctx) => {
    if (a.activeFrom !== undefined && a.activeUntil !== undefined) {
      if (!(Date.parse(a.activeFrom) < Date.parse(a.activeUntil))) {
        ctx.addIssue(custom(`must be after activeFrom (${a.activeFrom})`, ['activeUntil']));
      }
    }
  });

const fileShape = {
  hub: hubSection,
  folders: z.object(foldersShape).strict().default({}),
  dicom: z.object(dicomShape).strict().default({}),
  portal: z.object(portalShape).strict().default({}),
  storage: z.object(storageShape).strict().default({}),
  monitoring: z.object(monitoringShape).strict().default({}),
  dicomweb: z.object(dicomwebShape).strict().default({}),
  viewerLinks: z.object(viewerLinksShape).strict().default({}),
  findIt: z.object(findItShape).strict().default({}),
  trusts: z.array(z.object(trustShape).strict()),
  agreements: z.array(agreement).default([]),
  restrictedPatientIds: z
    .array(
      z.union([
        longString,
        z
          .object({
            patientId: longString,
            dicomPull: z.enum(['allow-with-alert', 'withhold']).default('allow-with-alert'),
          })
          .strict(),
      ]),
    )
    .default([]),
};
const fileSchema = z.object(fileShape).strict();

// The schema's output must be HubConfig exactly, in both directions, so the two cannot drift apart.
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Identical<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expand<T> = T extends object ? { [K in keyof T]: Expand<T[K]> } : T;
const outputIsHubConfig: Exact<z.output<typeof fileSchema>, HubConfig> &
  Identical<Expand<z.output<typeof fileSchema>>, Expand<HubConfig>> = true;
void outputIsHubConfig;

const KNOWN_KEYS: Record<string, readonly string[]> = {
  '(top level)': Object.keys(fileShape),
  hub: Object.keys(hubShape),
  folders: Object.keys(foldersShape),
  dicom: Object.keys(dicomShape),
  'folders.emergency': ['retentionHours', 'forwardWhileReceiving'],
  'folders.elective': ['retentionHours', 'forwardWhileReceiving'],
  portal: Object.keys(portalShape),
  storage: Object.keys(storageShape),
  monitoring: Object.keys(monitoringShape),
  dicomweb: Object.keys(dicomwebShape),
  viewerLinks: Object.keys(viewerLinksShape),
  findIt: Object.keys(findItShape),
  'trusts[]': Object.keys(trustShape),
  'trusts[].inbound': Object.keys(inboundShape),
  'trusts[].nodes[]': Object.keys(nodeShape),
  'hub.tls': ['port', 'certificate', 'key', 'ca'],
  'portal.tls': ['certificate', 'key'],
  'trusts[].coercion[]': Object.keys(coercionShape),
  'agreements[]': Object.keys(agreementShape),
};

/** Levenshtein distance, for "did you mean" suggestions on misspelt keys and options. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function unknownKeyMessage(objectPath: Path, key: string): string {
  const pattern = formatPath(objectPath).replace(/\[\d+\]/g, '[]');
  const known = KNOWN_KEYS[pattern] ?? [];
  const guess = known
    .map((candidate) => ({ candidate, distance: editDistance(key.toLowerCase(), candidate.toLowerCase()) }))
    .filter(({ distance, candidate }) => distance <= 2 && distance < candidate.length / 2)
    .sort((x, y) => x.distance - y.distance)[0];
  return guess ? `unknown key (did you mean ${guess.candidate}?)` : `unknown key (expected one of ${known.join(', ')})`;
}

/** Turns zod's one-issue-per-object "unrecognized keys" into one problem per key, at the key's own path. */
function explain(issue: z.ZodIssue): Problem[] {
  if (issue.code === z.ZodIssueCode.unrecognized_keys) {
    return issue.keys.map((key) => ({ path: [...issue.path, key], message: unknownKeyMessage(issue.path, key) }));
  }
  return [{ path: issue.path, message: issue.message }];
}

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/**
 * Checks that span the whole file. They read the raw input defensively, so they are reported even when some
 * unrelated field is missing or has the wrong type (which stops zod's own refinements from running).
 */
function crossFileProblems(raw: unknown): Problem[] {
  const problems: Problem[] = [];
  const root = asRecord(raw);
  if (!root) {
    return problems;
  }

  // AE titles match case-sensitively (PS3.8; docs/conformance.md), but two that differ only in case are
  // refused here: a peer's case slip would otherwise reach another node, or another trust.
  const aeTitles = new Map<string, { path: Path; title: string }>();
  const claimAeTitle = (value: unknown, path: Path) => {
    if (typeof value !== 'string' || aeTitleProblem(value)) {
      return;
    }
    const title = value.trim();
    const first = aeTitles.get(title.toUpperCase());
    if (!first) {
      aeTitles.set(title.toUpperCase(), { path, title });
      return;
    }
    problems.push({
      path,
      message:
        first.title === title
          ? `duplicate AE title "${title}" (also ${formatPath(first.path)})`
          : `AE title "${title}" differs only in case from ${formatPath(first.path)} "${first.title}" ` +
            '(AE titles match case-sensitively; two spellings of one title are too easily confused)',
    });
  };

  claimAeTitle(asRecord(root.hub)?.aeTitle, ['hub', 'aeTitle']);
  const trustCodes = new Map<string, Path>();
  asArray(root.trusts).forEach((value, i) => {
    const trust = asRecord(value);
    if (!trust) {
      return;
    }
    if (typeof trust.code === 'string') {
      const first = trustCodes.get(trust.code);
      if (first) {
        problems.push({
          path: ['trusts', i, 'code'],
          message: `duplicate trust code "${trust.code}" (also ${formatPath(first)})`,
        });
      } else {
        trustCodes.set(trust.code, ['trusts', i, 'code']);
      }
    }
    const inbound = asRecord(trust.inbound);
    for (const folder of FOLDER_NAMES) {
      claimAeTitle(inbound?.[folder], ['trusts', i, 'inbound', folder]);
    }
    asArray(trust.nodes).forEach((value, j) => {
      const node = asRecord(value);
      claimAeTitle(node?.aeTitle, ['trusts', i, 'nodes', j, 'aeTitle']);
      if (node?.tls === true) {
        if (node.certificateSubject === undefined) {
          problems.push({
            path: ['trusts', i, 'nodes', j, 'certificateSubject'],
            message: 'required with tls: the subject its certificate must carry, e.g. "CN=RVJ_PACS"',
          });
        }
        if (asRecord(root.hub)?.tls === undefined) {
          problems.push({
            path: ['trusts', i, 'nodes', j, 'tls'],
            message: 'needs hub.tls (the hub certificate, key and the CA that signs the nodes)',
          });
        }
      }
    });
  });

  // Without a trusts list every reference would look unknown; its own error is enough.
  if (Array.isArray(root.trusts)) {
    asArray(root.agreements).forEach((value, i) => {
      const agreement = asRecord(value);
      for (const end of ['from', 'to'] as const) {
        const code = agreement?.[end];
        if (typeof code === 'string' && !trustCodes.has(code)) {
          problems.push({ path: ['agreements', i, end], message: `unknown trust "${code}"` });
        }
      }
      if (typeof agreement?.from === 'string' && agreement.from === agreement.to) {
        problems.push({ path: ['agreements', i, 'to'], message: `same trust as from ("${agreement.from}")` });
      }
    });
  }
  return problems;
}

/**
 * The hub configuration file: structure, defaults, field rules and cross-field rules. Every problem is reported
 * with its path; none stops the others from being found.
 */
export const hubConfigSchema: z.ZodType<HubConfig, z.ZodTypeDef, unknown> = z
  .unknown()
  .transform((raw, ctx): HubConfig => {
    const parsed = fileSchema.safeParse(raw, { errorMap: hubConfigErrorMap });
    const problems = [...(parsed.success ? [] : parsed.error.issues.flatMap(explain)), ...crossFileProblems(raw)];
    for (const problem of problems) {
      ctx.addIssue(custom(problem.message, problem.path));
    }
    return parsed.success ? parsed.data : z.NEVER;
  });
