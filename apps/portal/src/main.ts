import 'reflect-metadata';
import { startHubProcess } from '@hub/core';
import { PortalModule } from './portal.module';
import { configurePortalHttp } from './web-app';

void startHubProcess((config) => PortalModule.forRoot(config), {
  name: 'portal',
  http: true,
  configureHttp: configurePortalHttp,
});
