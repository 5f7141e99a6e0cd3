/**
 * What the card of a picked map object says, as data (the component only
 * places it): an event (first from its map columns, then from
 * `events/detail`), a grid with its measure, a grid worker, a module feature,
 * a hexagon of the history, a unit. Pure, so the wording is tested.
 */
import type { Grid } from '../../core/geo/types';
import type { Unit } from '../../core/org/types';
import type { EventDetail } from '../../core/rpc/queries';
import { EventStatus } from '../../core/workflow/states';
import type { GridMeasure, ModuleFeature, WorkerPosition } from '../../core/rpc/wall';
import type { I18n } from '../i18n';
import type { MapModel } from '../map/map-model';
import type { EventStore } from './event-store';
import { SOURCES, STAGE_COLORS, URGENCY, rgbaCss, stageOf, type EventStage } from './event-style';
import { MODULE_STYLE } from './wall-layers';

export interface CardRow {
  label: string;
  value: string;
}

export interface CardContent {
  kind: 'event' | 'grid' | 'worker' | 'module' | 'hexagon' | 'unit';
  title: string;
  subtitle: string;
  /** a CSS colour for the card's edge */
  accent: string;
  rows: CardRow[];
  /** the event id, for a card that loads its detail */
  eventId?: string;
}

type T = Pick<I18n, 't' | 'formatTime'>;

const iso = (ms: number) => new Date(ms).toISOString();

/** The immediate card of an event row of the live store. */
export function eventRowCard(store: EventStore, row: number, model: MapModel | null, { t, formatTime }: T): CardContent {
  const stage: EventStage = stageOf(store.status[row]!, store.clockStatus[row]!);
  const grid = store.grid[row]! >= 0 && model ? model.grids[store.grid[row]!] : undefined;
  const deadline = store.deadline[row]!;
  return {
    kind: 'event',
    title: store.ids[row]!,
    subtitle: t.wall.stages[stage],
    accent: rgbaCss(STAGE_COLORS[stage]),
    eventId: store.ids[row]!,
    rows: [
      { label: t.wall.card.urgency, value: t.wall.urgency[URGENCY[store.urgency[row]!] ?? 'normal'] },
      { label: t.wall.card.source, value: t.wall.sources[SOURCES[store.source[row]!] ?? 'api'] },
      { label: t.wall.card.reportedAt, value: formatTime(iso(store.reportedAt[row]!)) },
      ...(Number.isFinite(deadline) ? [{ label: t.wall.card.deadline, value: formatTime(iso(deadline)) }] : []),
      ...(grid ? [{ label: t.wall.card.grid, value: `${grid.name} · ${grid.code}` }] : []),
    ],
  };
}

/** The full card once `events/detail` answered. */
export function eventDetailCard(detail: EventDetail, units: ReadonlyMap<string, Unit>, model: MapModel | null, { t, formatTime }: T, categoryName?: (code: string) => string | undefined): CardContent {
  const e = detail.event;
  const wf = e.workflow;
  const overdue = detail.clocks.some((c) => c.status === 'overdue');
  const stage = stageOf(statusIndex(wf.status), overdue ? 3 : 0);
  const deadline = detail.clocks.filter((c) => !c.stopped).map((c) => c.deadline).sort()[0];
  const lead = wf.leadUnitId ? units.get(wf.leadUnitId) : undefined;
  const grid = wf.area.gridCode && model ? model.grids.find((g) => g.code === wf.area.gridCode) : undefined;
  return {
    kind: 'event',
    title: e.title,
    subtitle: t.wall.stages[stage],
    accent: rgbaCss(STAGE_COLORS[stage]),
    eventId: e.id,
    rows: [
      { label: t.wall.card.caseNo, value: e.caseNo },
      { label: t.wall.card.category, value: (wf.categoryCode && categoryName?.(wf.categoryCode)) ?? wf.categoryCode ?? '—' },
      { label: t.wall.card.source, value: t.wall.sources[e.source] },
      { label: t.wall.card.urgency, value: t.wall.urgency[e.urgency] },
      { label: t.wall.card.reportedAt, value: formatTime(wf.reportedAt) },
      ...(deadline ? [{ label: t.wall.card.deadline, value: formatTime(deadline) }] : []),
      ...(wf.leadUnitId ? [{ label: t.wall.card.leadUnit, value: lead?.shortName ?? wf.leadUnitId }] : []),
      ...(e.address ? [{ label: t.wall.card.address, value: e.address }] : []),
      ...(grid ? [{ label: t.wall.card.grid, value: `${grid.name} · ${grid.code}` }] : []),
    ],
  };
}

function statusIndex(s: EventStatus): number {
  return EventStatus.options.indexOf(s);
}

export function gridCard(grid: Grid, model: MapModel, measure: GridMeasure, value: number | null, { t }: T): CardContent {
  const village = model.villageByCode.get(grid.villageCode);
  const town = model.townByCode.get(grid.townCode);
  const rows: CardRow[] = [
    { label: t.tooltip.gridCode, value: grid.code },
    { label: t.tooltip.village, value: village?.name ?? grid.villageCode },
    { label: t.tooltip.town, value: town?.name ?? grid.townCode },
    { label: t.tooltip.workers, value: grid.workers.length === 0 ? t.tooltip.noWorker : grid.workers.map((w) => `${w.name} ${w.phone}`).join('、') },
  ];
  if (measure !== 'town' && value !== null) {
    rows.push({ label: t.wall.measures[measure], value: Number.isNaN(value) ? t.wall.legend.unknown : measure === 'per_thousand' ? value.toFixed(2) : String(value) });
  }
  return { kind: 'grid', title: grid.name, subtitle: t.district.gridKinds[grid.kind], accent: 'rgb(84 214 255)', rows };
}

export function workerCard(w: WorkerPosition, model: MapModel | null, { t, formatTime }: T): CardContent {
  const grid = model?.grids.find((g) => g.code === w.gridCode);
  return {
    kind: 'worker',
    title: w.name,
    subtitle: w.onDuty ? t.wall.card.onDuty : t.wall.card.offDuty,
    accent: w.onDuty ? 'rgb(149 222 100)' : 'rgb(120 130 140)',
    rows: [
      { label: t.wall.card.grid, value: grid ? `${grid.name} · ${grid.code}` : w.gridCode },
      { label: t.wall.card.phone, value: w.phone || '—' },
      ...(w.fixAt ? [{ label: t.wall.card.lastFix, value: formatTime(w.fixAt) }] : []),
    ],
  };
}

export function moduleCard(f: ModuleFeature, model: MapModel | null, { t }: T): CardContent {
  const [r, g, b] = MODULE_STYLE[f.module].color;
  const town = f.townCode ? model?.townByCode.get(f.townCode)?.name : undefined;
  return {
    kind: 'module',
    title: f.name,
    subtitle: t.wall.modules[f.module],
    accent: `rgb(${r} ${g} ${b})`,
    rows: [...(town ? [{ label: t.tooltip.town, value: town }] : []), ...Object.entries(f.props).map(([label, value]) => ({ label, value: String(value) }))],
  };
}

export function hexagonCard(count: number, { t }: T): CardContent {
  return { kind: 'hexagon', title: t.wall.card.count(Math.round(count)), subtitle: t.wall.card.hexagon, accent: 'rgb(255 196 64)', rows: [] };
}

export function unitCard(u: Unit, { t }: T): CardContent {
  return { kind: 'unit', title: u.name, subtitle: u.shortName, accent: 'rgb(255 196 64)', rows: [{ label: t.wall.card.phone, value: u.phone }] };
}
