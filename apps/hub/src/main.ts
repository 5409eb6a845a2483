import 'reflect-metadata';
import { startHubProcess } from '@hub/core';
import { configurePortalHttp } from '../../portal/src/web-app';
import { HubModule } from './hub.module';

void startHubProcess((config) => HubModule.forRoot(config), {
  name: 'hub',
  http: true,
  configureHttp: configurePortalHttp,
});
