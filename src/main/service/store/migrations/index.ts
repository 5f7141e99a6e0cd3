/**
 * Every migration of the replica, in order. Migrations are TypeScript modules
 * exporting SQL so they travel inside the bundle of the Electron utility
 * process; add a new file `NNNN-name.ts` and append it here, never edit one
 * that has shipped.
 */
import { migration0001 } from './0001-reference-data';
import { migration0002 } from './0002-replication';
import { migration0003 } from './0003-query-indexes';
import { migration0004 } from './0004-running-clocks';
import { migration0005 } from './0005-running-deadline';
import { migration0006 } from './0006-drop-shadowed-indexes';
import { migration0007 } from './0007-report-time-order';
import { migration0008 } from './0008-event-documents-apart';
import { migration0009 } from './0009-drop-reported-index';
import { migration0010 } from './0010-drop-unused-indexes';
import type { Migration } from './types';

export type { Migration } from './types';

export const migrations: readonly Migration[] = [migration0001, migration0002, migration0003, migration0004, migration0005, migration0006, migration0007, migration0008, migration0009, migration0010];
