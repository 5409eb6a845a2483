export * from './node-echo.service';
export * from './operations-view';
export * from './operations.module';
export * from './operations.service';
