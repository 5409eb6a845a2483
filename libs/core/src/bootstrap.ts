import { INestApplication, INestApplicationContext, LogLevel, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { LoadedConfig, loadConfigOrExit } from '@hub/config';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Log levels up to and including the configured one. */
export function logLevels(level: LoadedConfig['env']['logLevel']): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level) + 1);
}

/**
 * Starts one hub process: configuration is validated before Nest is created (a bad file exits
 * non-zero naming every bad field), and shutdown hooks let the receiver stop accepting first and
 * workers finish their jobs.
 */
export async function startHubProcess(
  moduleFor: (config: LoadedConfig) => Type<unknown> | import('@nestjs/common').DynamicModule,
  options: { http: boolean; configureHttp?: (app: INestApplication) => void },
): Promise<INestApplicationContext> {
  const config = loadConfigOrExit(process.env);
  const module = moduleFor(config);
  if (options.http) {
    const app = await NestFactory.create(module, { logger: logLevels(config.env.logLevel) });
    app.enableShutdownHooks();
    options.configureHttp?.(app);
    await app.listen(config.hub.hub.httpPort, config.hub.hub.bindAddress);
    return app;
  }
  const app = await NestFactory.createApplicationContext(module, { logger: logLevels(config.env.logLevel) });
  app.enableShutdownHooks();
  return app;
}
