export * from './config-apply.service';
export * from './node-directory.service';
