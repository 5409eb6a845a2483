import 'reflect-metadata';
import { startHubProcess } from '@hub/core';
import { HubModule } from './hub.module';

void startHubProcess((config) => HubModule.forRoot(config), { http: true });
