import 'reflect-metadata';
import { startHubProcess } from '@hub/core';
import { setupPortalDocs } from './openapi';
import { PortalModule } from './portal.module';

void startHubProcess((config) => PortalModule.forRoot(config), { http: true, configureHttp: setupPortalDocs });
