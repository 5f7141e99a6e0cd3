/**
 * The workload model: when events arrive, where, of which category, from which system — the
 * numbers a command centre would recognise, kept in one table so they can be read and tuned.
 *
 * - Time of day: quiet nights (03:00 at about a tenth of the mean), a morning peak (09:00–11:00)
 *   and an afternoon peak (14:00–17:00) with a lunch dip; rest days (weekends and holidays of the
 *   working calendar) at 70 %. Grid workers patrol in daytime shifts, AI cameras watch all night,
 *   the hotline follows the public's day.
 * - Category mix by town type: urban subdistricts (街道) report city management, noise and
 *   public services; rural towns (镇) illegal construction and land use, river pollution,
 *   industrial safety, rented housing.
 * - Sources per category: a 数字城管 minor class only where one exists, AI cameras for what a
 *   camera can see (street vending, garbage, dirty roads, construction), grid patrol for the base
 *   items, enterprise calls for business requests, one-key calls for emergencies only.
 * - Hot spots (world.ts): markets, schools and industrial parks draw their own mix.
 * - Rainstorms: a burst of flooding and waterlogging reports clustered in low-lying grids, plus
 *   fallen trees, manholes and disaster calls.
 */
import { isWorkingDay, localDateOf, type WorkingCalendar } from '../../core/calendar/calendar';
import type { HotspotKind } from './world';

/** Where an arrival comes in (ai_camera is 数字城管 with aiAlarm: true). */
export type SimSource =
  | 'hotline_12345'
  | 'grid_patrol'
  | 'urban_management'
  | 'ai_camera'
  | 'one_key'
  | 'enterprise'
  | 'open311'
  | 'migrant'
  | 'gov_service';

export const SIM_SOURCES: readonly SimSource[] = ['hotline_12345', 'grid_patrol', 'urban_management', 'ai_camera', 'one_key', 'enterprise', 'open311', 'migrant', 'gov_service'];

export interface CategoryProfile {
  code: string;
  /** relative frequency in urban subdistricts and in rural towns */
  urban: number;
  rural: number;
  /** which systems report it, with their relative weights */
  sources: Partial<Record<SimSource, number>>;
}

/** Relative arrivals per local hour 0–23 (normalised to mean 1 below). */
const HOURLY_RAW = [0.25, 0.15, 0.1, 0.08, 0.08, 0.12, 0.3, 0.6, 1.2, 1.8, 1.9, 1.6, 0.9, 1.0, 1.6, 1.8, 1.7, 1.3, 0.9, 0.8, 0.75, 0.6, 0.45, 0.35];
const HOURLY_MEAN = HOURLY_RAW.reduce((s, x) => s + x, 0) / 24;
export const HOURLY_PROFILE: readonly number[] = HOURLY_RAW.map((x) => x / HOURLY_MEAN);
export const REST_DAY_FACTOR = 0.7;

/** Source weights over the whole day (before the category's own affinity). */
export const SOURCE_BASE: Readonly<Record<SimSource, number>> = {
  hotline_12345: 1.0,
  grid_patrol: 1.1,
  urban_management: 0.8,
  ai_camera: 0.55,
  one_key: 0.5,
  enterprise: 0.7,
  open311: 0.35,
  migrant: 0.5,
  gov_service: 0.4,
};

/** A source's activity by local hour: patrols work shifts, cameras never sleep, the public follows the day. */
export function sourceHourFactor(source: SimSource, hour: number): number {
  switch (source) {
    case 'grid_patrol':
      return hour >= 8 && hour < 18 ? 1.6 : hour >= 7 && hour < 20 ? 0.5 : 0.03;
    case 'urban_management':
      return hour >= 7 && hour < 21 ? 1.3 : 0.15;
    case 'ai_camera':
      return 1 / Math.max(HOURLY_PROFILE[hour]!, 0.3);
    case 'enterprise':
    case 'gov_service':
    case 'migrant':
      return hour >= 9 && hour < 18 ? 1.5 : 0.1;
    case 'one_key':
      return 1;
    default:
      return 1;
  }
}

const c = (code: string, urban: number, rural: number, sources: Partial<Record<SimSource, number>>): CategoryProfile => ({ code, urban, rural, sources });

export const CATEGORY_PROFILES: readonly CategoryProfile[] = [
  c('040101', 8, 3, { grid_patrol: 3, urban_management: 4, ai_camera: 2, hotline_12345: 1 }),
  c('040102', 8, 5, { grid_patrol: 3, urban_management: 3, ai_camera: 2, hotline_12345: 2, open311: 1 }),
  c('040103', 4, 1, { grid_patrol: 2, urban_management: 3, ai_camera: 1 }),
  c('040104', 9, 3, { grid_patrol: 2, urban_management: 3, ai_camera: 3, hotline_12345: 3, open311: 1 }),
  c('040201', 3, 1, { grid_patrol: 2, urban_management: 3, hotline_12345: 2, open311: 1 }),
  c('040202', 3, 2, { urban_management: 2, hotline_12345: 3, open311: 2 }),
  c('040203', 3, 3, { grid_patrol: 2, urban_management: 2, hotline_12345: 2, open311: 2 }),
  c('040301', 1, 1, { grid_patrol: 1, urban_management: 2, hotline_12345: 2 }),
  c('040302', 2, 1, { grid_patrol: 2, urban_management: 2 }),
  c('0501', 3, 2, { grid_patrol: 3, hotline_12345: 2, one_key: 0.6 }),
  c('0502', 3, 4, { grid_patrol: 2, hotline_12345: 3 }),
  c('0503', 2, 4, { grid_patrol: 4, migrant: 3 }),
  c('060101', 2, 6, { grid_patrol: 4, urban_management: 2, ai_camera: 1, hotline_12345: 2 }),
  c('060102', 1, 3, { grid_patrol: 3, hotline_12345: 1 }),
  c('060201', 0.1, 3, { grid_patrol: 3, hotline_12345: 1 }),
  c('0701', 2, 3, { hotline_12345: 3, grid_patrol: 1 }),
  c('0702', 8, 3, { hotline_12345: 6, open311: 1, urban_management: 1 }),
  c('0703', 0.5, 3, { hotline_12345: 2, grid_patrol: 2 }),
  c('0801', 1, 3, { grid_patrol: 3, hotline_12345: 2 }),
  c('0802', 2, 1, { urban_management: 2, hotline_12345: 3, grid_patrol: 2 }),
  c('0803', 3, 2, { hotline_12345: 4, open311: 1 }),
  c('0901', 0.3, 0.6, { one_key: 2, grid_patrol: 1, hotline_12345: 1 }),
  c('0902', 0.3, 0.3, { one_key: 3, hotline_12345: 1 }),
  c('1001', 1, 3, { grid_patrol: 3, enterprise: 1, hotline_12345: 1 }),
  c('1002', 0.3, 1, { grid_patrol: 2 }),
  c('1003', 2, 2, { grid_patrol: 2, hotline_12345: 2 }),
  c('1101', 3, 1, { grid_patrol: 3, urban_management: 1, hotline_12345: 2 }),
  c('1102', 1, 1, { grid_patrol: 3 }),
  c('1103', 2, 2, { grid_patrol: 3 }),
  c('1201', 0.1, 0.1, { hotline_12345: 1, one_key: 0.3 }),
  c('1202', 1, 1, { hotline_12345: 2, grid_patrol: 1 }),
  c('0201', 2, 1, { hotline_12345: 3, gov_service: 3 }),
  c('0202', 3, 2, { hotline_12345: 4, gov_service: 1 }),
  c('0203', 1, 1, { hotline_12345: 1, gov_service: 3 }),
  c('0301', 1, 2, { hotline_12345: 2, grid_patrol: 2 }),
  c('0302', 1, 1, { hotline_12345: 2 }),
  c('0303', 1, 1, { hotline_12345: 3 }),
  c('0101', 0.5, 0.5, { grid_patrol: 1 }),
  c('0102', 0.3, 0.3, { grid_patrol: 1 }),
  c('1301', 1, 1, { enterprise: 3, hotline_12345: 1 }),
  c('1302', 1, 1.5, { enterprise: 3 }),
  c('1303', 0.7, 1.5, { enterprise: 3 }),
  c('1304', 1, 0.5, { enterprise: 2, hotline_12345: 1 }),
];

export const CATEGORY_BY_CODE: ReadonlyMap<string, CategoryProfile> = new Map(CATEGORY_PROFILES.map((p) => [p.code, p]));

/** What each kind of hot spot produces. */
export const HOTSPOT_CATEGORIES: Readonly<Record<HotspotKind, readonly (readonly [string, number])[]>> = {
  market: [
    ['040104', 6],
    ['040102', 4],
    ['040101', 2],
    ['0702', 3],
    ['1304', 2],
    ['1101', 1],
    ['0501', 1],
  ],
  school: [
    ['0501', 3],
    ['040203', 2],
    ['1101', 2],
    ['040104', 2],
    ['0702', 1],
    ['040201', 1],
  ],
  industrial_park: [
    ['1001', 4],
    ['1002', 2],
    ['0703', 3],
    ['0701', 2],
    ['1301', 1],
    ['1302', 2],
    ['1303', 2],
    ['1103', 2],
    ['060101', 1],
  ],
};

/** Share of everyday arrivals at a hot spot of their town (the rest anywhere, by grid weight). */
export const HOTSPOT_SHARE = 0.3;
/** Relative pull of each kind of hot spot. */
export const HOTSPOT_KIND_WEIGHT: Readonly<Record<HotspotKind, number>> = { market: 3, school: 1.5, industrial_park: 2 };

/** A rainstorm's reports: mostly flooding, with what wind and water knock over. */
export const STORM_CATEGORIES: readonly (readonly [string, number])[] = [
  ['0802', 60],
  ['040301', 15],
  ['0901', 10],
  ['040201', 5],
  ['0803', 5],
  ['040203', 5],
];
export const STORM_SOURCES: Partial<Record<SimSource, number>> = { hotline_12345: 4, grid_patrol: 3, urban_management: 2, one_key: 1, open311: 1 };
/** Share of storm reports in low-lying grids (the rest in urban grids anywhere). */
export const STORM_LOW_SHARE = 0.75;

/** Relative arrival intensity at an instant (mean 1 over an ordinary working day). */
export function intensityAt(at: Date, calendar: WorkingCalendar | null): number {
  return HOURLY_PROFILE[localHour(at)]! * (isRestDay(at, calendar) ? REST_DAY_FACTOR : 1);
}

/** A weekend or public holiday of the calendar (weekends only without one); make-up Saturdays work. */
export function isRestDay(at: Date, calendar: WorkingCalendar | null): boolean {
  return calendar ? !isWorkingDay(calendar, localDateOf(calendar, at)) : isWeekend(at);
}

/** The highest value `intensityAt` takes (for thinning). */
export const MAX_INTENSITY = Math.max(...HOURLY_PROFILE);

/** Local (UTC+8) hour of an instant. */
export function localHour(at: Date): number {
  return new Date(at.getTime() + 8 * 3_600_000).getUTCHours();
}

function isWeekend(at: Date): boolean {
  const d = new Date(at.getTime() + 8 * 3_600_000).getUTCDay();
  return d === 0 || d === 6;
}

/** The sources that may report a category at an hour, with their weights. */
export function sourcesFor(code: string, hour: number, storm: boolean): [SimSource, number][] {
  const affinity = storm ? STORM_SOURCES : (CATEGORY_BY_CODE.get(code)?.sources ?? { hotline_12345: 1 });
  const out: [SimSource, number][] = [];
  for (const s of SIM_SOURCES) {
    const a = affinity[s];
    if (!a) continue;
    out.push([s, a * SOURCE_BASE[s] * sourceHourFactor(s, hour)]);
  }
  return out.length > 0 ? out : [['hotline_12345', 1]];
}
