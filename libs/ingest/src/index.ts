export * from './association-policy.service';
export * from './instance-ingest.service';
export * from './study-completion.service';
