import 'reflect-metadata';
import { startHubProcess } from '@hub/core';
import { ReceiverModule } from './receiver.module';

void startHubProcess((config) => ReceiverModule.forRoot(config), { http: false });
