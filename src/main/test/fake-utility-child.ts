/**
 * An in-memory utilityProcess child for main's supervisor tests: emit 'message' and 'exit' on it by hand; what
 * main posted is in `sent`, and `killed` says whether kill() was called.
 */
import { EventEmitter } from 'node:events';
import type { UtilityChildLike } from '../utility-child';

export class FakeUtilityChild extends EventEmitter implements UtilityChildLike {
  readonly sent: unknown[] = [];
  killed = false;
  postMessage(message: unknown) {
    this.sent.push(message);
  }
  kill() {
    this.killed = true;
    return true;
  }
}
