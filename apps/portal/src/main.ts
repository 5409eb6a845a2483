import 'reflect-metadata';
import { startHubProcess } from '@hub/core';
import { PortalModule } from './portal.module';
import { configurePortalHttp } from './web-app';

void startHubProcess((config) => PortalModule.forRoot(config), { http: true, configureHttp: configurePortalHttp });
