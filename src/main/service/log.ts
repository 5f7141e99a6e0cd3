/**
 * The logging port of the data service: the subset of pino's API it uses, so
 * a host can pass its own pino logger (or a recording one in tests).
 * Logs go to stderr by default, leaving stdout to the host's own messages.
 */
import { pino } from 'pino';

type LogFn = (obj: object, msg?: string) => void;

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

export function createLogger(name: string): Logger {
  return pino({ name, level: process.env.HUYING_LOG_LEVEL ?? 'info' }, pino.destination({ dest: 2, sync: true }));
}
