export * from './delivery.service';
export * from './send-and-record';
