export * from './schema';
export * from './tree';
export * from './responsibility';
