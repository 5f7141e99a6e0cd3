export * from './policy';
export * from './clock';
