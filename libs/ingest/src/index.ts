export * from './instance-ingest.service';
export * from './study-completion.service';
