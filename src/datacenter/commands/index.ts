/**
 * The command endpoint: mutation handlers by name, exactly-once processing of
 * pushed commands, and `POST /api/v1/commands`.
 */
export * from './registry';
export * from './process';
export * from './routes';
