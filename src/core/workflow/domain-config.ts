/**
 * One entry point to load the domain configuration a site edits (the files in
 * resources/config/): working calendar, taxonomy, responsibility matrix and
 * workflow settings. Node code reads the JSON; this validates it all, cross-checks
 * the references between files, and returns the compiled objects `decide` and
 * `suggestLeadUnit` take. Errors name the file and the field,
 * e.g. `calendar:makeUpWorkdays.2.date`.
 */
import { compileCalendar, type WorkingCalendar } from '../calendar/calendar';
import { parseCalendarData } from '../calendar/schema';
import { type FieldError, type Result } from '../errors';
import { checkReferences, parseResponsibilityMatrix, type ResponsibilityMatrix } from '../taxonomy/responsibility';
import { parseTaxonomy } from '../taxonomy/schema';
import { indexTaxonomy, type TaxonomyIndex } from '../taxonomy/tree';
import { type DecideContext } from './decide';
import { parseWorkflowConfig, type WorkflowConfig } from './supervision';

export interface DomainConfigInput {
  calendar: unknown;
  taxonomy: unknown;
  responsibility: unknown;
  workflow: unknown;
}

export interface DomainConfig extends DecideContext {
  calendar: WorkingCalendar;
  config: WorkflowConfig;
  taxonomy: TaxonomyIndex;
  matrix: ResponsibilityMatrix;
}

/**
 * Validates and compiles the four configuration documents. With `knownUnitIds`
 * every unit id the taxonomy and the matrix name must be one of them.
 */
export function parseDomainConfig(input: DomainConfigInput, knownUnitIds?: ReadonlySet<string>): Result<DomainConfig> {
  const problems: FieldError[] = [];
  const collect = <T>(file: string, r: Result<T>): T | null => {
    if (r.ok) return r.value;
    const details = (r.error.details as FieldError[] | undefined) ?? [{ field: '(root)', message: r.error.message }];
    for (const d of details) problems.push({ field: `${file}:${d.field}`, message: d.message });
    return null;
  };
  const calendar = collect('calendar', parseCalendarData(input.calendar));
  const taxonomy = collect('taxonomy', parseTaxonomy(input.taxonomy));
  const matrix = collect('responsibility', parseResponsibilityMatrix(input.responsibility));
  const config = collect('workflow', parseWorkflowConfig(input.workflow));
  const index = taxonomy ? indexTaxonomy(taxonomy) : null;
  if (index && matrix) {
    for (const d of checkReferences(index, matrix, knownUnitIds)) {
      problems.push({ field: d.field.startsWith('taxonomy:') ? d.field : `responsibility:${d.field}`, message: d.message });
    }
  }
  if (problems.length > 0 || !calendar || !index || !matrix || !config) {
    return { ok: false, error: { code: 'invalid_args', message: problems.map((p) => `${p.field}: ${p.message}`).join('; '), details: problems } };
  }
  return { ok: true, value: { calendar: compileCalendar(calendar), config, taxonomy: index, matrix } };
}
