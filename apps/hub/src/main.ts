import 'reflect-metadata';
import { startHubProcess } from '@hub/core';
import { configurePortalHttp } from '../../portal/src/web-app';
import { HubModule } from './hub.module';

void startHubProcess((config) => HubModule.forRoot(config), { http: true, configureHttp: configurePortalHttp });
