export * from './catalog-match';
export * from './pull-catalog.service';
export * from './query-retrieve.service';
export * from './query-retrieve.module';
