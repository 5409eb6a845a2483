import { DynamicModule, Module } from '@nestjs/common';
import { ConfigError } from './config.error';
import { loadEnvConfig } from './env.config';
import { loadHubConfig } from './hub-config.loader';
import { EnvConfig, HubConfig } from './hub-config.types';
import { formatHubConfigWarnings, hubConfigWarnings } from './hub-config.warnings';

/** Injection token for the validated HubConfig: `@Inject(HUB_CONFIG) config: HubConfig`. */
export const HUB_CONFIG = 'HUB_CONFIG';
/** Injection token for the validated EnvConfig: `@Inject(ENV_CONFIG) env: EnvConfig`. */
export const ENV_CONFIG = 'ENV_CONFIG';

export interface LoadedConfig {
  hub: HubConfig;
  env: EnvConfig;
}

/** Provides configuration that was loaded and validated before Nest started; import once, in the app module. */
@Module({})
export class HubConfigModule {
  static forRoot(config: LoadedConfig): DynamicModule {
    return {
      module: HubConfigModule,
      global: true,
      providers: [
        { provide: HUB_CONFIG, useValue: config.hub },
        { provide: ENV_CONFIG, useValue: config.env },
      ],
      exports: [HUB_CONFIG, ENV_CONFIG],
    };
  }
}

/** Loads and validates the environment and the hub file it names; throws ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv): LoadedConfig {
  const envConfig = loadEnvConfig(env);
  return { env: envConfig, hub: loadHubConfig(envConfig.hubConfigPath) };
}

/**
 * For main.ts, before NestFactory.create: a configuration problem ends the process with every problem listed;
 * warnings are written to stderr and the process starts.
 */
export function loadConfigOrExit(env: NodeJS.ProcessEnv): LoadedConfig {
  try {
    const config = loadConfig(env);
    process.stderr.write(formatHubConfigWarnings(hubConfigWarnings(config.hub), config.env.hubConfigPath));
    return config;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
