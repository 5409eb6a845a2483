import 'reflect-metadata';
import { startHubProcess } from '@hub/core';
import { PortalModule } from './portal.module';

void startHubProcess((config) => PortalModule.forRoot(config), { http: true });
