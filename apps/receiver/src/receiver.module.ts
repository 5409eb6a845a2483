import { DynamicModule, Module } from '@nestjs/common';
import { LoadedConfig } from '@hub/config';
import { CoreModule } from '@hub/core';
import { AssociationPolicyService, InstanceIngestService } from '@hub/ingest';
import { DicomScpAdapter } from './dicom-scp.adapter';
import { ReconcileAdapter } from './reconcile.adapter';

/** The DICOM face of the hub: C-ECHO and C-STORE SCP. */
@Module({})
export class ReceiverModule {
  static forRoot(config: LoadedConfig, options = { core: true }): DynamicModule {
    return {
      module: ReceiverModule,
      imports: options.core ? [CoreModule.forRoot(config)] : [],
      providers: [AssociationPolicyService, InstanceIngestService, ReconcileAdapter, DicomScpAdapter],
    };
  }
}
