export * from './fetch.service';
export * from './fetch.module';
