export * from './find-it.module';
export * from './find-it.service';
