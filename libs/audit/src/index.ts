export * from './audit-event.types';
export * from './audit-verify.service';
export * from './audit.module';
export * from './audit.service';
