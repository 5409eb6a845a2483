import { Module } from '@nestjs/common';
import { GovernanceModule } from '@hub/governance';
import { FindItService } from './find-it.service';

/** Find it: a patient's studies at the hub and, over C-FIND, at the trusts that share with the searcher's. */
@Module({ imports: [GovernanceModule], providers: [FindItService], exports: [FindItService] })
export class FindItModule {}
