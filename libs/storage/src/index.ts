export * from './durable-file';
export * from './storage-paths';
export * from './storage.module';
export * from './storage.service';
