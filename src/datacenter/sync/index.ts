/**
 * The data center's replication log and sync feed (docs/sync-protocol.md):
 * the write primitive every replicated write goes through, the live hub,
 * snapshot and live frames, and their routes.
 */
export * from './write';
export * from './notifier';
export * from './state';
export * from './actor';
export * from './feed';
export * from './hub';
export * from './live';
export * from './snapshot';
export * from './snapshot-limits';
export * from './routes';
