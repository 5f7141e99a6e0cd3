/**
 * What the events store decides when an event comes in, per source (DOMAIN.md, "The five-step
 * closed loop"):
 *
 * | source | starts as | why |
 * |---|---|---|
 * | `grid_patrol` 网格员巡查 | filed 立案 | the grid worker saw it on site: the report is the verification |
 * | `one_key` 一键呼叫 | filed | urgent calls with a location; verifying first would only delay the response |
 * | `urban_management` 数字城管 (not AI) | filed | cases are verified by the city's own supervisors (监督员) before they reach us |
 * | `urban_management` AI camera alarm | reported | a machine's guess: an officer verifies it |
 * | `hotline_12345`, `open311`, `enterprise` | reported | reports from the public go through verifying (核实) |
 * | `api`, `migrant`, `gov_service`, `manual` | reported | the desk decides (verify, file or reject) |
 *
 * Filing at intake is a real `file` command decided by `decide` for the source system's actor, so
 * it is checked and audited like anyone's: the event's trail starts `report` (reported →
 * reported), then `file` (reported → filed), both by the source system.
 *
 * The source system's actor has the intake agent's role (统一受理: a connected system stands in
 * for the intake desk) and district scope; its id names the source (`source:grid_patrol`).
 */
import type { EventSource } from '../../core/events/types';
import type { Actor } from '../../core/workflow/roles';
import type { IntakeDraft } from '../intake/draft';

export function filesOnIntake(draft: Pick<IntakeDraft, 'source' | 'sourceFields'>): boolean {
  switch (draft.source) {
    case 'grid_patrol':
    case 'one_key':
      return true;
    case 'urban_management':
      return draft.sourceFields.aiAlarm !== true;
    default:
      return false;
  }
}

/** Display names of the source systems (zh-CN, as officers know them). */
export const SOURCE_SYSTEM_NAMES: Readonly<Record<EventSource, string>> = {
  hotline_12345: '12345政务服务便民热线',
  grid_patrol: '城市网格化服务管理系统',
  urban_management: '数字城管系统',
  one_key: '一键呼叫',
  enterprise: '企业有呼',
  open311: 'Open311',
  migrant: '来穗人员服务管理系统',
  gov_service: '区政务服务系统',
  api: '数据接口',
  manual: '人工受理',
};

/** The actor a source system reports (and files) as. */
export function sourceActor(source: EventSource, districtCode: string): Actor {
  return {
    id: `source:${source}`,
    name: SOURCE_SYSTEM_NAMES[source],
    role: 'intake_agent',
    organisationId: `source-${source}`,
    scope: { level: 'district', code: districtCode },
  };
}
