export * from './agreement-policy';
export * from './expiry.service';
export * from './quarantine.service';
export * from './routing.service';
export * from './transfer-sweep.service';
export * from './transfer-query.service';
export * from './transfer-views';
export * from './routing.module';
