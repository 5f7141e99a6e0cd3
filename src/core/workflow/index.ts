export * from './errors';
export * from './roles';
export * from './states';
export * from './supervision';
export * from './commands';
export * from './event';
export * from './decide';
export * from './automation';
