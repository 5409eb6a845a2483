import { DynamicModule, INestApplication, INestApplicationContext, LogLevel, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HubConfig, LoadedConfig, loadConfigOrExit } from '@hub/config';
import {
  HubLoggerModule,
  MonitoringHttpModule,
  createHubLogger,
  routeDicomLibraryLog,
  useHubLogger,
} from '@hub/observability';
import { portalHttpsOptionsOrExit } from './https-options';
import { closeOnSignals } from './shutdown';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Log levels up to and including the configured one. */
export function logLevels(level: LoadedConfig['env']['logLevel']): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level) + 1);
}

export interface HubProcessOptions {
  /** Which app this process is (`app` in every log line). */
  name: string;
  http: boolean;
  configureHttp?: (app: INestApplication) => void;
  /** An app without a portal: the port of its own /metrics and /health listener (0: none). */
  monitoringPort?: (config: HubConfig) => number;
}

/**
 * Starts one hub process: configuration is validated before Nest is created (a bad file exits
 * non-zero naming every bad field), logs go through pino (JSON, or text on a terminal), and shutdown
 * hooks let the receiver stop accepting first and workers finish their jobs.
 */
export async function startHubProcess(
  moduleFor: (config: LoadedConfig) => Type<unknown> | DynamicModule,
  options: HubProcessOptions,
): Promise<INestApplicationContext> {
  const config = loadConfigOrExit(process.env);
  const logger = createHubLogger(config.env, options.name);
  routeDicomLibraryLog(logger);
  const monitoringPort = options.http ? 0 : (options.monitoringPort?.(config.hub) ?? 0);
  // The portal's port speaks HTTPS when portal.tls names a certificate; monitoring ports stay plain HTTP.
  const httpsOptions = options.http ? portalHttpsOptionsOrExit(config.hub) : undefined;

  @Module({
    imports: [
      HubLoggerModule.forRoot(logger),
      moduleFor(config),
      ...(monitoringPort > 0 ? [MonitoringHttpModule] : []),
    ],
  })
  class HubProcessModule {}

  if (options.http || monitoringPort > 0) {
    const app = await NestFactory.create(HubProcessModule, { bufferLogs: true, httpsOptions });
    useHubLogger(app);
    closeOnSignals(app);
    options.configureHttp?.(app);
    await app.listen(options.http ? config.hub.hub.httpPort : monitoringPort, config.hub.hub.bindAddress);
    return app;
  }
  const app = await NestFactory.createApplicationContext(HubProcessModule, { bufferLogs: true });
  useHubLogger(app);
  closeOnSignals(app);
  return app;
}
