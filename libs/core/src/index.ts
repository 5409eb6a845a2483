export * from './bootstrap';
export * from './core.module';
export * from './periodic-task';
export * from './https-options';
export * from './shutdown';
