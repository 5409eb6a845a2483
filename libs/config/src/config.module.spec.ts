import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { resolve } from 'node:path';
import * as envConfig from './env.config';
import { ENV_CONFIG, HUB_CONFIG, HubConfigModule, LoadedConfig, loadConfigOrExit } from './config.module';
import { EnvConfig, HubConfig } from './hub-config.types';

const EXAMPLE = resolve(__dirname, '../../../config/hub.example.yaml');

@Injectable()
class ConsumerService {
  constructor(
    @Inject(HUB_CONFIG) readonly hub: HubConfig,
    @Inject(ENV_CONFIG) readonly env: EnvConfig,
  ) {}
}

// Does not import HubConfigModule: the tokens must be visible because the module is global.
@Module({ providers: [ConsumerService] })
class ConsumerModule {}

describe('HubConfigModule', () => {
  it('provides the loaded configuration to every module', async () => {
    const config = loadConfigOrExit({ HUB_CONFIG: EXAMPLE });

    const moduleRef = await Test.createTestingModule({
      imports: [HubConfigModule.forRoot(config), ConsumerModule],
    }).compile();

    const consumer = moduleRef.get(ConsumerService);
    expect(consumer.hub).toBe(config.hub);
    expect(consumer.env).toBe(config.env);
    expect(consumer.hub.hub.aeTitle).toBe('IEP_HUB');
  });
});

describe('loadConfigOrExit', () => {
  class Exit extends Error {}
  let exit: jest.SpyInstance;
  let stderr: jest.SpyInstance;

  beforeEach(() => {
    exit = jest.spyOn(process, 'exit').mockImplementation(() => {
      throw new Exit();
    });
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('returns both configurations when they are valid', () => {
    const config: LoadedConfig = loadConfigOrExit({ HUB_CONFIG: EXAMPLE, LOG_LEVEL: 'warn' });

    expect(config.env).toMatchObject({ hubConfigPath: EXAMPLE, logLevel: 'warn' });
    expect(config.hub.trusts).toHaveLength(2);
    expect(exit).not.toHaveBeenCalled();
  });

  it('writes warnings to stderr and starts: the example prefixes AccessionNumber, an SH of 16 at most', () => {
    loadConfigOrExit({ HUB_CONFIG: EXAMPLE });

    const written = stderr.mock.calls.map(([chunk]) => String(chunk)).join('');
    expect(written).toContain(`Hub configuration warnings (${EXAMPLE}):`);
    expect(written).toMatch(/trusts\[0\]\.coercion\[1\]: AccessionNumber is SH, at most 16 characters; prefix adds/);
    expect(exit).not.toHaveBeenCalled();
  });

  it('prints every problem to stderr and exits with status 1', () => {
    expect(() => loadConfigOrExit({ HUB_CONFIG: EXAMPLE, DATABASE_URL: 'mysql://db', LOG_LEVEL: 'loud' })).toThrow(
      Exit,
    );

    expect(exit).toHaveBeenCalledWith(1);
    const written = stderr.mock.calls.map(([chunk]) => String(chunk)).join('');
    expect(written).toContain('DATABASE_URL: missing the database name');
    expect(written).toContain('LOG_LEVEL: expected one of');
  });

  it('lets errors that are not configuration problems propagate', () => {
    jest.spyOn(envConfig, 'loadEnvConfig').mockImplementation(() => {
      throw new TypeError('unexpected');
    });

    expect(() => loadConfigOrExit({})).toThrow(TypeError);
    expect(exit).not.toHaveBeenCalled();
    expect(stderr).not.toHaveBeenCalled();
  });
});
