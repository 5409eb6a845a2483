export * from './delivery.service';
