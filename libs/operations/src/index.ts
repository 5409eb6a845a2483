export * from './operations-view';
export * from './operations.module';
export * from './operations.service';
