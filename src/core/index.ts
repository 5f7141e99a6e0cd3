export * from './errors';
export * from './geo/types';
export * from './org/types';
export * from './rpc/contract';
export * from './rpc/wire';
export * from './sync/reference';
