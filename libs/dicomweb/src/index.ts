export * from './dicom-json';
export * from './dicomweb-scope.service';
export * from './dicomweb.module';
export * from './dicomweb.service';
export * from './multipart';
export * from './qido-query';
