export * from './errors';
export * from './hashing';
export * from './keys';
export * from './object-store';
export * from './throttle';
export * from './multipart-etag';
