export * from './local-time';
export * from './schema';
export * from './calendar';
