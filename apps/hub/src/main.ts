import 'reflect-metadata';
import { startHubProcess } from '@hub/core';
import { setupPortalDocs } from '../../portal/src/openapi';
import { HubModule } from './hub.module';

void startHubProcess((config) => HubModule.forRoot(config), { http: true, configureHttp: setupPortalDocs });
