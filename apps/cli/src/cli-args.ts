import { editDistance } from '@hub/config';

export interface ParsedArgs {
  words: string[];
  flags: Map<string, string | true>;
}

/** A command line the CLI cannot take: printed with the usage, exit 2. */
export class UsageError extends Error {}

/** `transfers list --state queued --json` → words [transfers, list], flags {state: queued, json: true}. */
export function parseArgs(argv: string[]): ParsedArgs {
  const words: string[] = [];
  const flags = new Map<string, string | true>();
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index];
    if (!arg.startsWith('--')) {
      words.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split('=', 2);
    if (!VALUED_FLAGS.has(name) && !SWITCHES.has(name)) {
      // A misspelt option silently ignored would widen a listing or act on the wrong thing.
      const near = [...VALUED_FLAGS, ...SWITCHES].find((known) => editDistance(known, name) <= 2);
      throw new UsageError(`unknown option --${name}${near ? ` (did you mean --${near}?)` : ''}`);
    }
    if (
      VALUED_FLAGS.has(name) &&
      inline === undefined &&
      (argv[index + 1] === undefined || argv[index + 1].startsWith('--'))
    ) {
      throw new UsageError(`--${name} needs a value`);
    }
    const next = argv[index + 1];
    if (inline !== undefined) {
      flags.set(name, inline);
    } else if (next !== undefined && !next.startsWith('--') && VALUED_FLAGS.has(name)) {
      flags.set(name, next);
      index += 1;
    } else {
      flags.set(name, true);
    }
  }
  return { words, flags };
}

const VALUED_FLAGS = new Set([
  'state',
  'trust',
  'folder',
  'username',
  'role',
  'from',
  'to',
  'study',
  'accession',
  'patient-id',
  'as',
]);

const SWITCHES = new Set(['json', 'help', 'without-report', 'dry-run']);

export const USAGE = `usage: npm run hub -- <command> [--json] [--as <name>]

  --as <name>                             who is acting, for the audit trail (default: the OS user)

  config apply <file>                     validate a hub configuration file and apply it (audited)
  transfers list [--state S] [--trust T] [--folder F] [--without-report]
  transfers retry <transferId>            deliver now (after a refusal, a failure or a backoff); audited
  transfers cancel <transferId>           stop delivering it; its files stay until expiry; audited
  quarantine list
  quarantine release <studyId>            route a quarantined study once an agreement allows it
  quarantine discard <studyId>            purge a quarantined study's files (the record stays)
  expire [--dry-run]                      expire transfers past their folder time now (or list them)
  fetch request --from A --to B --folder F (--study UID | --accession N --patient-id P)
                                          source a study held at trust A for trust B (needs an agreement A→B)
  fetch list [--to B]                     fetch requests with their progress and outcome
  audit verify                            check the audit trail's hash chain; exit 1 naming the first break
  user create --username U --role R [--trust T]
                                          create a portal account (roles: operator, trust-admin, governance,
                                          clinician; --trust for trust-admin and clinician). The password is
                                          read from HUB_USER_PASSWORD, else from stdin (never the command line)
  user list                               portal accounts, their roles, trusts and lockouts
  user disable <username>                 end the account's sessions and refuse its log-ins (audited)
  user enable <username>                  allow it again, lifting a lockout (audited)
`;
