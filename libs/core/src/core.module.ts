import { DynamicModule, Injectable, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { AuditModule } from '@hub/audit';
import { HUB_CONFIG, HubConfig, HubConfigModule, LoadedConfig } from '@hub/config';
import { DbModule, NamedLockRepository } from '@hub/db';
import { ConfigApplyService } from '@hub/directory';
import { HealthModule, MetricsModule } from '@hub/observability';
import { QueueModule } from '@hub/queue';
import { StorageModule, StorageService } from '@hub/storage';
import { Inject } from '@nestjs/common';

/** At start-up: the storage layout exists and the configuration file is applied (once across processes). */
@Injectable()
export class HubBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(HubBootstrap.name);
  private markReady!: () => void;
  /** Resolves once storage and configuration are in place: the DICOM port must not open before. */
  readonly ready = new Promise<void>((resolve) => (this.markReady = resolve));

  constructor(
    private readonly configApply: ConfigApplyService,
    private readonly locks: NamedLockRepository,
    private readonly storage: StorageService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.storage.prepare();
    const changes = await this.locks.withLock('image_exchange_hub_config_apply', 60, () =>
      this.configApply.apply(this.config),
    );
    this.logger.log(`configuration in the database (${changes.length} change(s) applied)`);
    this.markReady();
  }
}

/**
 * What every hub process stands on: typed configuration, MySQL, the storage directory, audit and
 * the queues. Each app module imports this once and adds its own adapters.
 */
@Module({})
export class CoreModule {
  /** `bootstrap: false` (the CLI) skips preparing storage and applying the configuration file at start-up. */
  static forRoot(config: LoadedConfig, options = { bootstrap: true }): DynamicModule {
    return {
      module: CoreModule,
      global: true,
      imports: [
        HubConfigModule.forRoot(config),
        DbModule.forRoot(config.env.databaseUrl, config.env.databaseMigrate),
        StorageModule,
        MetricsModule,
        AuditModule,
        QueueModule,
        HealthModule,
      ],
      providers: options.bootstrap ? [ConfigApplyService, HubBootstrap] : [ConfigApplyService],
      exports: options.bootstrap ? [ConfigApplyService, HubBootstrap] : [ConfigApplyService],
    };
  }
}
