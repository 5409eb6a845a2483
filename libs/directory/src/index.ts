export * from './config-apply.service';
