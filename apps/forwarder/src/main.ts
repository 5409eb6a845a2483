import 'reflect-metadata';
import { startHubProcess } from '@hub/core';
import { ForwarderModule } from './forwarder.module';

void startHubProcess((config) => ForwarderModule.forRoot(config), { http: false });
