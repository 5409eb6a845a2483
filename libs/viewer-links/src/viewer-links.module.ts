import { Module } from '@nestjs/common';
import { GovernanceModule } from '@hub/governance';
import { ViewerLinkService } from './viewer-link.service';

/** Secure viewer links to one study; the portal's controllers make, list, revoke and open them. */
@Module({ imports: [GovernanceModule], providers: [ViewerLinkService], exports: [ViewerLinkService] })
export class ViewerLinksModule {}
