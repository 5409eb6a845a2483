export * from './queue.module';
export * from './queue.types';
export * from './redis-connection';
export * from './study-queue.producer';
