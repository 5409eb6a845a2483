export * from './bootstrap';
export * from './core.module';
