import { DynamicModule, Module } from '@nestjs/common';
import { LoadedConfig } from '@hub/config';
import { CoreModule } from '@hub/core';
import { AssociationPolicyService } from '@hub/association-policy';
import { InstanceIngestService } from '@hub/ingest';
import { QueryRetrieveModule } from '@hub/query-retrieve';
import { DicomScpAdapter } from './dicom-scp.adapter';
import { ReconcileAdapter } from './reconcile.adapter';

/** The DICOM face of the hub: C-ECHO, C-STORE SCP, and C-FIND/C-MOVE SCP for pulling nodes. */
@Module({})
export class ReceiverModule {
  static forRoot(config: LoadedConfig, options = { core: true }): DynamicModule {
    return {
      module: ReceiverModule,
      imports: [...(options.core ? [CoreModule.forRoot(config)] : []), QueryRetrieveModule],
      providers: [AssociationPolicyService, InstanceIngestService, ReconcileAdapter, DicomScpAdapter],
    };
  }
}
