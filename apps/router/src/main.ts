import 'reflect-metadata';
import { startHubProcess } from '@hub/core';
import { RouterModule } from './router.module';

void startHubProcess((config) => RouterModule.forRoot(config), {
  name: 'router',
  http: false,
  monitoringPort: (config) => config.monitoring.routerPort,
});
