import 'reflect-metadata';
import { startHubProcess } from '@hub/core';
import { ReceiverModule } from './receiver.module';

void startHubProcess((config) => ReceiverModule.forRoot(config), {
  name: 'receiver',
  http: false,
  monitoringPort: (config) => config.monitoring.receiverPort,
});
