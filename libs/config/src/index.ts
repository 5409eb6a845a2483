export * from './config.error';
export * from './config.module';
export * from './env.config';
export * from './hub-config.loader';
export * from './hub-config.schema';
export * from './hub-config.types';
export * from './hub-config.warnings';
