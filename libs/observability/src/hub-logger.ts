import { DynamicModule, INestApplicationContext, Module } from '@nestjs/common';
import { EnvConfig } from '@hub/config';
import { routeDimseLog } from '@hub/dicom';
import { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule, Logger as PinoNestLogger } from 'nestjs-pino';
import pino from 'pino';

const PINO_LEVELS: Record<EnvConfig['logLevel'], pino.Level> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** LOG_LEVEL keeps Nest's names (log, verbose); pino calls them info and trace. */
export function pinoLevel(level: EnvConfig['logLevel']): pino.Level {
  return PINO_LEVELS[level];
}

/** Pretty (coloured text) when asked, or when nobody asked and a person is reading stdout; JSON otherwise. */
export function logsArePretty(format: EnvConfig['logFormat'], isTty: boolean): boolean {
  return format === undefined ? isTty : format === 'pretty';
}

/**
 * The process's one pino logger: Nest's, the HTTP requests' and the DICOM library's lines all go through it.
 * JSON lines carry the level by name, an ISO time, and `app` (which process wrote it).
 */
export function createHubLogger(
  env: Pick<EnvConfig, 'logLevel' | 'logFormat'>,
  app: string,
  isTty = Boolean(process.stdout.isTTY),
): pino.Logger {
  const options: pino.LoggerOptions = {
    level: pinoLevel(env.logLevel),
    base: { app },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (logsArePretty(env.logFormat, isTty)) {
    return pino(
      options,
      pino.transport({
        target: 'pino-pretty',
        options: { colorize: isTty, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true },
      }),
    );
  }
  return pino({ ...options, formatters: { level: (label) => ({ level: label }) } });
}

/**
 * What an HTTP request's line names: the route as declared, never the path as sent, since a path may carry
 * a patient ID (/api/audit/patients/:patientId/access); outside /api (the web app's files) the bare path.
 */
export function requestRoute(req: IncomingMessage & { route?: { path?: string }; baseUrl?: string }): string {
  if (req.route?.path !== undefined) {
    return `${req.baseUrl ?? ''}${String(req.route.path)}`;
  }
  const path = (req.url ?? '/').split('?')[0]!;
  return path === '/api' || path.startsWith('/api/') ? '(no route)' : path;
}

/** Scrapes and probes come every few seconds: they are not worth a line each. */
const QUIET_PATHS = /^\/(metrics|health\/|api\/health)/;

/**
 * Nest's logger on the process's pino logger (nestjs-pino). One line per HTTP request, when it ends: method,
 * route, status and time; debug for success, info for a refusal (4xx), error for a failure. No headers, no
 * query string, no body.
 */
@Module({})
export class HubLoggerModule {
  static forRoot(logger: pino.Logger): DynamicModule {
    return {
      module: HubLoggerModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger,
            quietReqLogger: true,
            quietResLogger: true,
            autoLogging: { ignore: (req) => QUIET_PATHS.test(req.url ?? '') },
            customLogLevel: (_req, res, error) =>
              error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug',
            serializers: {
              req: () => undefined,
              res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
            },
            customSuccessObject: (req, res, value: Record<string, unknown>) => ({
              ...value,
              method: req.method,
              route: requestRoute(req),
            }),
            customErrorObject: (req, _res, _error, value: Record<string, unknown>) => ({
              ...value,
              method: req.method,
              route: requestRoute(req),
            }),
            customSuccessMessage: (req, res) => `${req.method} ${requestRoute(req)} ${res.statusCode}`,
            customErrorMessage: (req, res) => `${req.method} ${requestRoute(req)} ${res.statusCode}`,
          },
        }),
      ],
    };
  }
}

/** Nest's own lines (and every `new Logger(Context)`) from now on through pino; lines buffered so far go out too. */
export function useHubLogger(app: INestApplicationContext): void {
  app.useLogger(app.get(PinoNestLogger));
  app.flushLogs();
}

/** dcmjs-dimse's lines into the same stream, as `context: dcmjs-dimse`. */
export function routeDicomLibraryLog(logger: pino.Logger): void {
  const dimse = logger.child({ context: 'dcmjs-dimse' });
  routeDimseLog((level, message) => dimse[level](message));
}
