import 'reflect-metadata';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, LoadedConfig, loadConfig, loadHubConfig } from '@hub/config';
import { AccountsModule, AccountsService } from '@hub/accounts';
import { AuditVerifyService } from '@hub/audit';
import { CoreModule } from '@hub/core';
import { ConfigApplyService } from '@hub/directory';
import { FetchModule, FetchRequestError, FetchService } from '@hub/fetch';
import {
  ExpiryService,
  QuarantineService,
  RoutingModule,
  TransferActionsService,
  TransferQueryService,
} from '@hub/routing';
import { userInfo } from 'node:os';
import { ParsedArgs, USAGE, UsageError, parseArgs } from './cli-args';
import { formatTable } from './table';

/**
 * Who the audit trail names for what the CLI does: `--as <name>`, else the OS account running it (not
 * $USER, which cron and `docker compose run` leave unset).
 */
function cliActor(args: ParsedArgs): { user: string } {
  const named = args.flags.get('as');
  let account: string;
  try {
    account = userInfo().username;
  } catch {
    account = `uid ${process.getuid?.() ?? 'unknown'}`;
  }
  return { user: `cli:${typeof named === 'string' && named.trim() ? named.trim().slice(0, 60) : account}` };
}

/** The operator's command line: `npm run hub -- <command>`. Exit 0 done, 1 refused or failed, 2 usage. */
async function main(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      return usage(error.message);
    }
    throw error;
  }
  const [group, action, target] = args.words;
  if (!group || args.flags.has('help')) {
    process.stdout.write(USAGE);
    return group ? 0 : 2;
  }
  let config: LoadedConfig;
  try {
    config = loadConfig(process.env);
    if (group === 'config' && action === 'apply') {
      if (!target) {
        return usage('config apply needs a file');
      }
      config = { ...config, hub: loadHubConfig(target) };
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }

  @Module({
    imports: [CoreModule.forRoot(config, { bootstrap: false }), RoutingModule, FetchModule, AccountsModule],
  })
  class CliModule {}

  const app = await NestFactory.createApplicationContext(CliModule, { logger: ['error'] });
  try {
    return await run(app, config, args, group, action, target);
  } finally {
    await app.close();
  }
}

async function run(
  app: INestApplicationContext,
  config: LoadedConfig,
  args: ParsedArgs,
  group: string,
  action: string | undefined,
  target: string | undefined,
): Promise<number> {
  const json = args.flags.has('json');
  const actor = cliActor(args);
  const print = (rows: Array<Record<string, unknown>>, columns: string[]) =>
    process.stdout.write(`${json ? JSON.stringify(rows, null, 2) : formatTable(rows, columns)}\n`);

  switch (`${group} ${action ?? ''}`.trim()) {
    case 'config apply': {
      const changes = await app.get(ConfigApplyService).apply(config.hub, actor.user);
      print(
        changes.map((change) => ({ ...change, fields: change.fields.join(',') })),
        ['entity', 'key', 'change', 'fields'],
      );
      return 0;
    }
    case 'transfers list': {
      const rows = await app.get(TransferQueryService).listTransfers({
        state: stringFlag(args, 'state'),
        trust: stringFlag(args, 'trust'),
        folder: stringFlag(args, 'folder'),
        withoutReport: args.flags.has('without-report'),
      });
      print(rows as unknown as Array<Record<string, unknown>>, [
        'id',
        'sender',
        'recipient',
        'folder',
        'state',
        'instances',
        'hasReport',
        'expiresAt',
      ]);
      return 0;
    }
    case 'transfers retry':
    case 'transfers cancel': {
      if (!target) {
        return usage(`transfers ${action} needs a transfer id`);
      }
      // The CLI acts as an operator (whoever runs it is trusted with the hub's database), named by --as.
      const caller = { user: { id: actor.user, username: actor.user, role: 'operator' as const, trustCode: null } };
      const actions = app.get(TransferActionsService);
      const result = action === 'retry' ? await actions.retryNow(caller, target) : await actions.cancel(caller, target);
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return 0;
    }
    case 'quarantine list': {
      const rows = await app.get(TransferQueryService).listQuarantined();
      print(rows as unknown as Array<Record<string, unknown>>, [
        'studyId',
        'sender',
        'recipient',
        'folder',
        'instances',
        'reason',
      ]);
      return 0;
    }
    case 'quarantine release':
    case 'quarantine discard': {
      if (!target) {
        return usage(`quarantine ${action} needs a study id (see quarantine list)`);
      }
      const quarantine = app.get(QuarantineService);
      const result =
        action === 'release' ? await quarantine.release(target, actor) : await quarantine.discard(target, actor);
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return 0;
    }
    case 'expire': {
      const expiry = app.get(ExpiryService);
      const due = await expiry.due();
      const rows = due.map((transfer) => ({
        id: transfer.id,
        folder: transfer.folder,
        state: transfer.state,
        expiresAt: transfer.expiresAt.toISOString(),
      }));
      if (!args.flags.has('dry-run')) {
        for (const transfer of due) {
          await expiry.handleExpireTransfer(transfer.id);
        }
      }
      print(rows, ['id', 'folder', 'state', 'expiresAt']);
      return 0;
    }
    case 'fetch request': {
      try {
        const fetch = await app.get(FetchService).requestFetch({
          from: stringFlag(args, 'from') ?? '',
          to: stringFlag(args, 'to') ?? '',
          folder: stringFlag(args, 'folder') ?? '',
          studyInstanceUid: stringFlag(args, 'study'),
          accessionNumber: stringFlag(args, 'accession'),
          patientId: stringFlag(args, 'patient-id'),
          requestedBy: actor.user,
        });
        print([fetch as unknown as Record<string, unknown>], ['id', 'state', 'folder', 'studyInstanceUid']);
        return 0;
      } catch (error) {
        if (error instanceof FetchRequestError) {
          process.stderr.write(`fetch refused: ${error.message}\n`);
          return 1;
        }
        throw error;
      }
    }
    case 'fetch list': {
      const rows = await app.get(FetchService).list({ recipient: stringFlag(args, 'to') });
      print(
        rows.map((row) => ({
          ...row,
          progress: `${row.completedInstances}/${row.expectedInstances ?? '?'}${row.failedInstances ? ` (${row.failedInstances} failed)` : ''}`,
        })),
        ['id', 'from', 'to', 'folder', 'state', 'progress', 'studyInstanceUid', 'lastError'],
      );
      return 0;
    }
    case 'audit verify': {
      const result = await app.get(AuditVerifyService).verify();
      if (json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
      } else if (result.intact) {
        process.stdout.write(`audit trail intact: ${result.events} event(s), every hash chained\n`);
      } else {
        process.stdout.write(
          `audit trail BROKEN after ${result.events} good event(s)` +
            `${result.eventId ? ` at event ${result.eventId}` : ''}: ${result.problem}\n`,
        );
      }
      return result.intact ? 0 : 1;
    }
    case 'user create': {
      const username = stringFlag(args, 'username');
      const role = stringFlag(args, 'role');
      if (!username || !role) {
        return usage('user create needs --username and --role');
      }
      const password = process.env.HUB_USER_PASSWORD ?? (await readPassword());
      const account = await app
        .get(AccountsService)
        .create({ username, role, password, trust: stringFlag(args, 'trust') }, actor.user);
      print([account as unknown as Record<string, unknown>], ACCOUNT_COLUMNS);
      return 0;
    }
    case 'user list': {
      print((await app.get(AccountsService).list()) as unknown as Array<Record<string, unknown>>, ACCOUNT_COLUMNS);
      return 0;
    }
    case 'user disable':
    case 'user enable': {
      if (!target) {
        return usage(`user ${action} needs a username`);
      }
      const account = await app.get(AccountsService).setDisabled(target, action === 'disable', actor.user);
      print([account as unknown as Record<string, unknown>], ACCOUNT_COLUMNS);
      return 0;
    }
    default:
      return usage(`unknown command: ${[group, action].filter(Boolean).join(' ')}`);
  }
}

const ACCOUNT_COLUMNS = ['username', 'role', 'trust', 'disabled', 'lockedUntil', 'lastLoginAt'];

/** The new account's password from stdin: typed without echo at a terminal, else the first line piped in. */
async function readPassword(): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let text = '';
    for await (const chunk of stdin) {
      text += String(chunk);
    }
    return text.split(/\r?\n/)[0] ?? '';
  }
  process.stderr.write('password: ');
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  return new Promise((resolve) => {
    let typed = '';
    const onData = (key: string) => {
      for (const char of key) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          resolve(typed);
          return;
        }
        if (char === '\u0003') {
          process.exit(130);
        }
        typed = char === '\u007f' ? typed.slice(0, -1) : typed + char;
      }
    };
    stdin.on('data', onData);
  });
}

function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}

function usage(problem: string): number {
  process.stderr.write(`${problem}\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error & { response?: { message?: string } }) => {
    // Nest HTTP exceptions from the services carry the caller-facing reason.
    process.stderr.write(`${error.response?.message ?? error.message}\n`);
    process.exit(1);
  },
);
