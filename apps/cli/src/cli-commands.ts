import 'reflect-metadata';
import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  ConfigError,
  LoadedConfig,
  formatHubConfigWarnings,
  hubConfigWarnings,
  loadConfig,
  loadHubConfig,
} from '@hub/config';
import { AccountsModule, AccountsService, CurrentUser } from '@hub/accounts';
import { AuditVerifyService } from '@hub/audit';
import { CoreModule } from '@hub/core';
import { migrateDatabase } from '@hub/db';
import { StudyQueueProducer } from '@hub/queue';
import { ConfigApplyService, NodeDirectoryService } from '@hub/directory';
import { FetchModule, FetchRequestError, FetchService } from '@hub/fetch';
import { AgreementAdminService, GovernanceModule, TransferAccessService, TransferDetailView } from '@hub/governance';
import { NodeEchoService, OperationsModule } from '@hub/operations';
import {
  ExpiryService,
  QuarantineService,
  RoutingModule,
  TransferActionsService,
  TransferQueryService,
} from '@hub/routing';
import { userInfo } from 'node:os';
import { CliInvocation } from './cli-args';
import { formatTable } from './table';

/**
 * Who the audit trail names for what the CLI does: `--as <name>`, else the OS account running it (not
 * $USER, which cron and `docker compose run` leave unset).
 */
function cliActor(named: string | undefined): string {
  let account: string;
  try {
    account = userInfo().username;
  } catch {
    account = `uid ${process.getuid?.() ?? 'unknown'}`;
  }
  return `cli:${named?.trim() ? named.trim().slice(0, 60) : account}`;
}

/** Runs one parsed command against the hub's database and queues. Exit 0 done, 1 refused or failed, 2 usage. */
export async function runCli(invocation: CliInvocation): Promise<number> {
  const { command } = invocation;
  let config: LoadedConfig;
  try {
    config = loadConfig(process.env);
    if (command.name === 'config apply') {
      config = { ...config, hub: loadHubConfig(command.file) };
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }

  if (command.name === 'db migrate') {
    // Before any module connects: with DATABASE_MIGRATE=skip the apps' own start would refuse a pending migration.
    const ran = await migrateDatabase(config.env.databaseUrl);
    const rows = ran.map((name) => ({ migration: name }));
    process.stdout.write(
      invocation.json
        ? `${JSON.stringify(rows, null, 2)}\n`
        : ran.length > 0
          ? `${formatTable(rows, ['migration'])}\n`
          : 'database schema up to date\n',
    );
    return 0;
  }

  @Module({
    imports: [
      CoreModule.forRoot(config, { bootstrap: false }),
      RoutingModule,
      FetchModule,
      AccountsModule,
      GovernanceModule,
      OperationsModule,
    ],
    providers: [NodeDirectoryService],
  })
  class CliModule {}

  const app = await NestFactory.createApplicationContext(CliModule, { logger: ['error'] });
  try {
    return await run(app, config, invocation);
  } finally {
    await queuesSettled(app);
    await app.close();
  }
}

/**
 * A command that needs no queue can end before the producer's Redis connections are up; closing them then
 * leaves BullMQ's start-up check to reject unhandled. Wait (briefly: Redis may be down) until they are.
 */
async function queuesSettled(app: INestApplicationContext): Promise<void> {
  const producer = app.get(StudyQueueProducer);
  const ready = Promise.allSettled([producer.queue.waitUntilReady(), producer.fetchQueue.waitUntilReady()]);
  await Promise.race([ready, new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
}

async function run(app: INestApplicationContext, config: LoadedConfig, invocation: CliInvocation): Promise<number> {
  const { command, json } = invocation;
  const actor = cliActor(invocation.as);
  // The CLI acts as an operator (whoever runs it is trusted with the hub's database), named by --as.
  const operator: { user: CurrentUser } = { user: { id: actor, username: actor, role: 'operator', trustCode: null } };
  const print = (rows: Array<Record<string, unknown>>, columns: string[]) =>
    process.stdout.write(`${json ? JSON.stringify(rows, null, 2) : formatTable(rows, columns)}\n`);

  switch (command.name) {
    case 'config apply': {
      // On stderr, so that --json output stays one document; a warning never stops the apply.
      process.stderr.write(formatHubConfigWarnings(hubConfigWarnings(config.hub), command.file));
      const changes = await app.get(ConfigApplyService).apply(config.hub, actor);
      print(
        changes.map((change) => ({ ...change, fields: change.fields.join(',') })),
        ['entity', 'key', 'change', 'fields'],
      );
      return 0;
    }
    case 'transfers list': {
      const rows = await app.get(TransferQueryService).listTransfers({
        state: command.state,
        trust: command.trust,
        folder: command.folder,
        withoutReport: command.withoutReport,
        studyInstanceUid: command.study,
        accessionNumber: command.accession,
      });
      if (json) {
        print(rows as unknown as Array<Record<string, unknown>>, []);
      } else {
        print(
          rows.map((row) => ({ ...row, lastError: clip(row.lastError, 60) })),
          [
            'id',
            'sender',
            'recipient',
            'folder',
            'state',
            'instances',
            'hasReport',
            'expiresAt',
            'studyInstanceUid',
            'lastError',
          ],
        );
      }
      return 0;
    }
    case 'transfers show': {
      const detail = await app.get(TransferAccessService).detail(operator, command.transferId);
      process.stdout.write(json ? `${JSON.stringify(detail, null, 2)}\n` : formatTransferDetail(detail));
      return 0;
    }
    case 'transfers retry':
    case 'transfers cancel': {
      const actions = app.get(TransferActionsService);
      const result =
        command.name === 'transfers retry'
          ? await actions.retryNow(operator, command.transferId)
          : await actions.cancel(operator, command.transferId);
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
      const quarantine = app.get(QuarantineService);
      const result =
        command.name === 'quarantine release'
          ? await quarantine.release(command.studyId, { user: actor })
          : await quarantine.discard(command.studyId, { user: actor });
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
      if (!command.dryRun) {
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
          from: command.from,
          to: command.to,
          folder: command.folder,
          studyInstanceUid: command.study,
          accessionNumber: command.accession,
          patientId: command.patientId,
          requestedBy: actor,
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
      const rows = await app.get(FetchService).list({ recipient: command.to });
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
      const password = process.env.HUB_USER_PASSWORD ?? (await readPassword());
      const account = await app
        .get(AccountsService)
        .create({ username: command.username, role: command.role, password, trust: command.trust }, actor);
      print([account as unknown as Record<string, unknown>], ACCOUNT_COLUMNS);
      return 0;
    }
    case 'user list': {
      print((await app.get(AccountsService).list()) as unknown as Array<Record<string, unknown>>, ACCOUNT_COLUMNS);
      return 0;
    }
    case 'user disable':
    case 'user enable': {
      const account = await app
        .get(AccountsService)
        .setDisabled(command.username, command.name === 'user disable', actor);
      print([account as unknown as Record<string, unknown>], ACCOUNT_COLUMNS);
      return 0;
    }
    case 'nodes list': {
      const nodes = await app.get(NodeDirectoryService).list();
      print(
        json
          ? (nodes as unknown as Array<Record<string, unknown>>)
          : nodes.map((node) => ({
              ...node,
              address: `${node.host}:${node.port}`,
              tls: node.tlsSubject ?? 'no',
              allowedIps: node.allowedIps.join(','),
            })),
        ['aeTitle', 'trust', 'address', 'send', 'receive', 'maxAssociations', 'queryRetrieve', 'tls', 'active'],
      );
      return 0;
    }
    case 'agreements list': {
      const agreements = await app.get(AgreementAdminService).list(operator);
      print(
        json
          ? (agreements as unknown as Array<Record<string, unknown>>)
          : agreements.map((agreement) => ({
              ...agreement,
              folders: agreement.folders.join(','),
              modalities: agreement.modalities?.join(',') ?? 'any',
            })),
        ['from', 'to', 'folders', 'modalities', 'activeFrom', 'activeUntil', 'suspended', 'inForce', 'active'],
      );
      return 0;
    }
    case 'db migrate':
      return 0; // run above, before the modules connect
    case 'echo': {
      const result = await app.get(NodeEchoService).echo(command.aeTitle, { user: actor });
      print(
        [result as unknown as Record<string, unknown>],
        ['aeTitle', 'host', 'port', 'callingAeTitle', 'result', 'roundTripMs', 'message'],
      );
      return result.ok ? 0 : 1;
    }
    default:
      return unreachable(command);
  }
}

function unreachable(command: never): never {
  throw new Error(`unhandled command ${JSON.stringify(command)}`);
}

const ACCOUNT_COLUMNS = ['username', 'role', 'trust', 'disabled', 'lockedUntil', 'lastLoginAt'];

function clip(text: string | null, length: number): string | null {
  return text !== null && text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

/** `transfers show` for a person: the transfer, its study (no patient identifiers), and its timeline. */
export function formatTransferDetail(detail: TransferDetailView): string {
  const study = detail.study;
  const lines = [
    `transfer     ${detail.id}`,
    `exchange     ${detail.sender} → ${detail.recipient}, ${detail.folder} folder`,
    `state        ${detail.state}: ${detail.delivered} of ${detail.instances} instance(s) delivered` +
      (detail.deliveredAt ? ` (delivered ${detail.deliveredAt})` : ''),
    `last error   ${detail.lastError ?? '-'}`,
    `study        ${study.studyInstanceUid}${study.restricted ? ' (restricted)' : ''}`,
    `             accession ${study.accessionNumber ?? '-'}, date ${study.studyDate ?? '-'}, ` +
      `${study.modalities.join('/') || '-'}${study.studyDescription ? `, ${study.studyDescription}` : ''}`,
    `report       ${detail.hasReport ? `arrived ${detail.reportReceivedAt ?? ''}`.trimEnd() : 'not yet'}`,
    `expires      ${detail.expiresAt}`,
    ...(detail.flag ? [`flag         ${detail.flag}`] : []),
    '',
    'timeline',
    formatTable(
      detail.timeline.map((event) => ({
        at: event.occurredAt,
        event: event.event,
        outcome: OUTCOMES[event.outcome] ?? String(event.outcome),
        by: event.actorUser ?? event.actorAeTitle ?? '',
        detail: summarise(event.detail),
      })),
      ['at', 'event', 'outcome', 'by', 'detail'],
    ),
  ];
  return `${lines.join('\n')}\n`;
}

const OUTCOMES: Record<number, string> = {
  0: 'success',
  4: 'minor failure',
  8: 'serious failure',
  12: 'major failure',
};

/** An event's detail on one line: its scalar fields, lists by their length (an instance list can be long). */
function summarise(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .filter(([key]) => key !== 'transferId' && key !== 'studyId')
    .map(([key, value]) =>
      Array.isArray(value)
        ? `${key}=${value.length > 3 ? `[${value.length}]` : value.join(',')}`
        : `${key}=${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`,
    )
    .join(' ');
}

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
