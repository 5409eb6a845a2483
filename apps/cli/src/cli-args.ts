import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

/** One operator command, as parsed from the command line; main.ts runs it against the hub. */
export type CliCommand =
  | { name: 'config apply'; file: string }
  | {
      name: 'transfers list';
      state?: string;
      trust?: string;
      folder?: string;
      withoutReport: boolean;
      study?: string;
      accession?: string;
    }
  | { name: 'transfers show' | 'transfers retry' | 'transfers cancel'; transferId: string }
  | { name: 'quarantine list' }
  | { name: 'quarantine release' | 'quarantine discard'; studyId: string }
  | { name: 'expire'; dryRun: boolean }
  | {
      name: 'fetch request';
      from: string;
      to: string;
      folder: string;
      study?: string;
      accession?: string;
      patientId?: string;
    }
  | { name: 'fetch list'; to?: string }
  | { name: 'audit verify' }
  | { name: 'user create'; username: string; role: string; trust?: string }
  | { name: 'user list' }
  | { name: 'user disable' | 'user enable'; username: string }
  | { name: 'nodes list' }
  | { name: 'agreements list' }
  | { name: 'echo'; aeTitle: string }
  | { name: 'db migrate' };

export interface CliInvocation {
  command: CliCommand;
  /** JSON instead of a table. */
  json: boolean;
  /** Who is acting, for the audit trail (--as). */
  as?: string;
}

/** What the command line came to: a command to run, or an exit code (help printed, or a usage error). */
export type ParsedCli = { run: CliInvocation } | { exit: number };

export interface CliOutput {
  writeOut(text: string): void;
  writeErr(text: string): void;
}

const STDIO: CliOutput = {
  writeOut: (text) => process.stdout.write(text),
  writeErr: (text) => process.stderr.write(text),
};

/**
 * Parses the operator's command line. Unknown commands and options, missing arguments and option values,
 * and extra arguments are usage errors (exit 2), each printed with the command's help; `--help` on any
 * command prints its help (exit 0). Nothing of the hub is loaded here, so help and mistakes answer at once.
 */
export function parseCli(argv: string[], output: CliOutput = STDIO): ParsedCli {
  let parsed: CliInvocation | undefined;
  const program = buildProgram((command, options) => {
    parsed = { command, json: options.json === true, as: typeof options.as === 'string' ? options.as : undefined };
  });
  for (const command of allCommands(program)) {
    command
      .exitOverride()
      .configureOutput(output)
      .showHelpAfterError('(add --help for usage)')
      .configureHelp({ showGlobalOptions: true, sortSubcommands: false });
  }
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help asked for (--help, `help <command>`) is a success; help shown because no command was given is not.
      return { exit: error.exitCode === 0 ? 0 : 2 };
    }
    throw error;
  }
  return parsed ? { run: parsed } : { exit: 2 };
}

type OnCommand = (command: CliCommand, options: { json?: boolean; as?: string }) => void;

function buildProgram(on: OnCommand): Command {
  const program = new Command('hub')
    .usage('<command> [options]   (from a checkout: npm run hub -- <command> [options])')
    .description("The Image Exchange Hub operator's command line. Exit 0 done, 1 refused or failed, 2 usage.")
    .addOption(valued('--as <name>', 'who is acting, for the audit trail (default: the OS account running it)'))
    .helpCommand(true);

  const leaf = (parent: Command, name: string, description: string) =>
    parent.command(name).description(description).option('--json', 'print JSON instead of a table');

  const config = program.command('config').description('the hub configuration file');
  leaf(config, 'apply', 'validate a hub configuration file and apply it to the database (audited)')
    .argument('<file>', 'the YAML file')
    .action((file: string, options: Options, command: Command) =>
      on({ name: 'config apply', file }, command.optsWithGlobals()),
    );

  const transfers = program.command('transfers').description('exchanges of a study from one trust to another');
  leaf(transfers, 'list', 'transfers, newest first, with their Study Instance UID and last error')
    .addOption(valued('--state <state>', 'only in this state (queued, delivering, delivered, failed, …)'))
    .addOption(valued('--trust <code>', 'only those this trust sends or receives'))
    .addOption(valued('--folder <folder>', 'only this folder (emergency or elective)'))
    .option('--without-report', 'only those whose report has not arrived')
    .addOption(valued('--study <uid>', 'only this Study Instance UID'))
    .addOption(valued('--accession <number>', 'only this Accession Number'))
    .action((options: Options, command: Command) =>
      on(
        {
          name: 'transfers list',
          state: options.state,
          trust: options.trust,
          folder: options.folder,
          withoutReport: options.withoutReport === true,
          study: options.study,
          accession: options.accession,
        },
        command.optsWithGlobals(),
      ),
    );
  leaf(transfers, 'show', 'one transfer: its study, delivery progress, last error and timeline (audited)')
    .argument('<transferId>')
    .action((transferId: string, options: Options, command: Command) =>
      on({ name: 'transfers show', transferId }, command.optsWithGlobals()),
    );
  leaf(transfers, 'retry', 'deliver now (after a refusal, a failure or a backoff); audited')
    .argument('<transferId>')
    .action((transferId: string, options: Options, command: Command) =>
      on({ name: 'transfers retry', transferId }, command.optsWithGlobals()),
    );
  leaf(transfers, 'cancel', 'stop delivering it; its files stay until expiry; audited')
    .argument('<transferId>')
    .action((transferId: string, options: Options, command: Command) =>
      on({ name: 'transfers cancel', transferId }, command.optsWithGlobals()),
    );

  const quarantine = program.command('quarantine').description('studies no agreement lets through');
  leaf(quarantine, 'list', 'quarantined studies with their reason').action((options: Options, command: Command) =>
    on({ name: 'quarantine list' }, command.optsWithGlobals()),
  );
  leaf(quarantine, 'release', 'route a quarantined study once an agreement allows it (audited)')
    .argument('<studyId>', 'as quarantine list shows it')
    .action((studyId: string, options: Options, command: Command) =>
      on({ name: 'quarantine release', studyId }, command.optsWithGlobals()),
    );
  leaf(quarantine, 'discard', "purge a quarantined study's files; the record stays (audited)")
    .argument('<studyId>', 'as quarantine list shows it')
    .action((studyId: string, options: Options, command: Command) =>
      on({ name: 'quarantine discard', studyId }, command.optsWithGlobals()),
    );

  leaf(program, 'expire', 'expire transfers past their folder time now (or only list them)')
    .option('--dry-run', 'list what is due and change nothing')
    .action((options: Options, command: Command) =>
      on({ name: 'expire', dryRun: options.dryRun === true }, command.optsWithGlobals()),
    );

  const fetch = program.command('fetch').description('sourcing a study from a trust that holds it');
  leaf(fetch, 'request', 'source a study held at trust A for trust B (needs an agreement A→B)')
    .addOption(valued('--from <trust>', 'the trust that holds the study').makeOptionMandatory())
    .addOption(valued('--to <trust>', 'the trust that needs it').makeOptionMandatory())
    .addOption(valued('--folder <folder>', 'emergency or elective').makeOptionMandatory())
    .addOption(valued('--study <uid>', 'the Study Instance UID'))
    .addOption(valued('--accession <number>', 'or the Accession Number, with --patient-id'))
    .addOption(valued('--patient-id <id>', "the patient's ID at the holding trust"))
    .action((options: Options, command: Command) =>
      on(
        {
          name: 'fetch request',
          from: options.from!,
          to: options.to!,
          folder: options.folder!,
          study: options.study,
          accession: options.accession,
          patientId: options.patientId,
        },
        command.optsWithGlobals(),
      ),
    );
  leaf(fetch, 'list', 'fetch requests with their progress and outcome')
    .addOption(valued('--to <trust>', 'only those for this trust'))
    .action((options: Options, command: Command) =>
      on({ name: 'fetch list', to: options.to }, command.optsWithGlobals()),
    );

  const audit = program.command('audit').description('the audit trail');
  leaf(audit, 'verify', "check the audit trail's hash chain; exit 1 naming the first break").action(
    (options: Options, command: Command) => on({ name: 'audit verify' }, command.optsWithGlobals()),
  );

  const user = program.command('user').description('portal accounts');
  leaf(user, 'create', 'create a portal account; its password from HUB_USER_PASSWORD, else stdin (audited)')
    .addOption(valued('--username <name>', 'the log-in name').makeOptionMandatory())
    .addOption(valued('--role <role>', 'operator, trust-admin, governance or clinician').makeOptionMandatory())
    .addOption(valued('--trust <code>', 'the trust of a trust-admin or clinician'))
    .action((options: Options, command: Command) =>
      on(
        { name: 'user create', username: options.username!, role: options.role!, trust: options.trust },
        command.optsWithGlobals(),
      ),
    );
  leaf(user, 'list', 'portal accounts, their roles, trusts and lockouts').action((options: Options, command: Command) =>
    on({ name: 'user list' }, command.optsWithGlobals()),
  );
  leaf(user, 'disable', "end the account's sessions and refuse its log-ins (audited)")
    .argument('<username>')
    .action((username: string, options: Options, command: Command) =>
      on({ name: 'user disable', username }, command.optsWithGlobals()),
    );
  leaf(user, 'enable', 'allow it again, lifting a lockout (audited)')
    .argument('<username>')
    .action((username: string, options: Options, command: Command) =>
      on({ name: 'user enable', username }, command.optsWithGlobals()),
    );

  const nodes = program.command('nodes').description("the trusts' DICOM nodes");
  leaf(nodes, 'list', 'every node: trust, address, what it sends and receives, TLS').action(
    (options: Options, command: Command) => on({ name: 'nodes list' }, command.optsWithGlobals()),
  );

  const agreements = program.command('agreements').description('sharing agreements between trusts');
  leaf(agreements, 'list', 'every agreement, its folders and whether it is in force now').action(
    (options: Options, command: Command) => on({ name: 'agreements list' }, command.optsWithGlobals()),
  );

  const db = program.command('db').description("the hub's database");
  leaf(db, 'migrate', 'create the database if needed and run pending migrations (the migrate step)').action(
    (options: Options, command: Command) => on({ name: 'db migrate' }, command.optsWithGlobals()),
  );

  leaf(program, 'echo', "C-ECHO a node from the hub's AE, as delivery reaches it (audited); exit 1 if it fails")
    .argument('<aeTitle>', "the node's AE title")
    .action((aeTitle: string, options: Options, command: Command) =>
      on({ name: 'echo', aeTitle }, command.optsWithGlobals()),
    );

  program.addHelpText('after', () => `\nEvery command (add --help to one for its options):\n${commandList(program)}`);
  return program;
}

/** `transfers list [options]    transfers, newest first, …` for every command under the groups. */
function commandList(program: Command): string {
  const leaves = program.commands
    .filter((command) => command.name() !== 'help')
    .flatMap((command) =>
      command.commands.length > 0
        ? command.commands.map((sub) => ({ usage: `${command.name()} ${sub.name()} ${sub.usage()}`, sub }))
        : [{ usage: `${command.name()} ${command.usage()}`, sub: command }],
    );
  const width = Math.max(...leaves.map((leaf) => leaf.usage.length));
  return leaves.map((leaf) => `  ${leaf.usage.padEnd(width)}  ${leaf.sub.description()}`).join('\n');
}

interface Options {
  json?: boolean;
  as?: string;
  state?: string;
  trust?: string;
  folder?: string;
  withoutReport?: boolean;
  study?: string;
  accession?: string;
  dryRun?: boolean;
  from?: string;
  to?: string;
  patientId?: string;
  username?: string;
  role?: string;
}

/** An option that takes a value: the next word, unless that is another option (`--state --json`). */
function valued(flags: string, description: string): Option {
  return new Option(flags, description).argParser((value: string) => {
    if (value.startsWith('--')) {
      throw new InvalidArgumentError('it needs a value, not another option.');
    }
    return value;
  });
}

function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}
