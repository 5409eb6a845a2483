export * from './viewer-link.service';
export * from './viewer-links.module';
