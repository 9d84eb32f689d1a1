export * from './env-config';
export * from './problem.filter';
export * from './validation';
export * from './logging';
export * from './rate-limit';
export * from './clock';
