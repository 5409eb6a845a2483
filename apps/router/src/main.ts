import 'reflect-metadata';
import { startHubProcess } from '@hub/core';
import { RouterModule } from './router.module';

void startHubProcess((config) => RouterModule.forRoot(config), { http: false });
