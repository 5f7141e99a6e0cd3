/**
 * The configuration documents shipped with the app (resources/config/*.json): the working calendar
 * of mainland China 2025–2026, the demo taxonomy (13 categories / 36 trigger situations), the
 * demo responsibility matrix and the demo workflow settings. A new database starts from these;
 * a site replaces them through the admin API (docs/workflow-authority.md). Imported, not read from
 * disk, so they travel inside any bundle.
 */
import calendar from '../../../resources/config/calendar-cn.json';
import responsibility from '../../../resources/config/responsibility-demo.json';
import taxonomy from '../../../resources/config/taxonomy-demo.json';
import workflow from '../../../resources/config/workflow-demo.json';
import type { ConfigDocumentName } from '../store/events-schema';

export type ConfigDocuments = Record<ConfigDocumentName, unknown>;

/** Deep copies, so nothing can change the shipped defaults in memory. */
export function bundledConfigDocuments(): ConfigDocuments {
  return structuredClone({ calendar, taxonomy, responsibility, workflow });
}
