export * from './formats';
export * from './converters';
export * from './errors';
export * from './messages';
export * from './negotiate';
