import 'reflect-metadata';
import { startHubProcess } from '@hub/core';
import { ForwarderModule } from './forwarder.module';

void startHubProcess((config) => ForwarderModule.forRoot(config), {
  name: 'forwarder',
  http: false,
  monitoringPort: (config) => config.monitoring.forwarderPort,
});
