/**
 * The history generator (docs/simulator.md): past events with complete workflow documents and
 * audit trails, written in large versions through the replication log's tables.
 */
export { generateHistory, historyTableCounts, type HistoryOptions, type HistoryProgress, type HistoryResult } from './generate';
export { writeHistoryBatch, type BulkStep, type BulkWriteOptions, type BulkWriteResult } from './bulk';
export { createEvolveContext, evolveEvent, type EvolveContext, type EvolvedEvent } from './evolve';
export { HISTORY_USAGE, parseHistoryArgs, runHistoryCli, type HistoryCliOptions } from './cli';
