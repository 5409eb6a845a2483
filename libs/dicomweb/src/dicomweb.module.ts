import { Module } from '@nestjs/common';
import { GovernanceModule } from '@hub/governance';
import { QueryRetrieveModule } from '@hub/query-retrieve';
import { DicomwebScopeService } from './dicomweb-scope.service';
import { DicomwebService } from './dicomweb.service';

const SERVICES = [DicomwebScopeService, DicomwebService];

/** DICOMweb (QIDO-RS, WADO-RS) over the folders each caller may see; the portal's controller calls it. */
@Module({ imports: [GovernanceModule, QueryRetrieveModule], providers: SERVICES, exports: SERVICES })
export class DicomwebModule {}
