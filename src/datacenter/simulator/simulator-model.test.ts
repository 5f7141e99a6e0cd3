/**
 * The simulator's workload model without a database: the time-of-day profile and rest days, the
 * history's day-by-day arrivals, category mix by town type, hot spots, rainstorms in low-lying
 * grids, the sources' own payload formats accepted by the real adapters (and spoiled ones
 * refused), and the behaviour policy walked through core `decide` for thousands of events:
 * every planned step legal, by the right role, units in office hours.
 */
import { describe, expect, it } from 'vitest';
import { isWorkingTime } from '../../core/calendar/calendar';
import { distanceMetres } from '../../core/geo/geometry';
import { flattenTaxonomy } from '../../core/taxonomy/tree';
import { parseDomainConfig, type DomainConfig } from '../../core/workflow/domain-config';
import { bundledConfigDocuments } from '../config/bundled';
import { generateDemoDistrict } from '../demo';
import { createEvolveContext, evolveEvent } from '../history/evolve';
import { decodeBody } from '../intake/body';
import { createCategoryResolver, DEMO_HOTLINE_LABELS, DEMO_URBAN_MANAGEMENT_CLASSES } from '../intake/categories';
import { adaptIntake, createIntakeContext } from '../intake/sources/index';
import { createSimActors } from './actors';
import { arrivalTables, createArrivalStream, createStormStream, describeArrival, historyArrivals, stormShape } from './arrivals';
import { HOURLY_PROFILE, localHour, isRestDay } from './model';
import { badPayload, buildPayload, uscc } from './payloads';
import { simStream } from './random';
import { parseSimulateArg } from './simulator';
import { buildSimWorld, worldInputOf } from './world';
import { isValidUscc } from '../intake/sources/uscc';

const district = generateDemoDistrict();
const world = buildSimWorld(worldInputOf(district), 9);
const tables = arrivalTables(world);
const parsed = parseDomainConfig(bundledConfigDocuments(), new Set(district.units.map((u) => u.id)));
if (!parsed.ok) throw new Error(parsed.error.message);
const ctx: DomainConfig = parsed.value;
const nodes = flattenTaxonomy(ctx.taxonomy).map((n) => ({ code: n.node.code, name: n.node.name }));
const categories = createCategoryResolver({ nodes, labels: { urban_management: DEMO_URBAN_MANAGEMENT_CLASSES, hotline_12345: DEMO_HOTLINE_LABELS } });
const names = new Map(nodes.map((n) => [n.code, n.name]));
const urbanTowns = new Set(world.towns.filter((t) => t.urban).map((t) => t.code));
const HOUR = 3_600_000;

describe('--simulate RATE', () => {
  it('reads a rate, a speed or both, and refuses nonsense', () => {
    expect(parseSimulateArg('120')).toEqual({ ok: true, ratePerHour: 120, speed: 1 });
    expect(parseSimulateArg('60x')).toEqual({ ok: true, ratePerHour: 30, speed: 60 });
    expect(parseSimulateArg('120@3600x')).toEqual({ ok: true, ratePerHour: 120, speed: 3600 });
    expect(parseSimulateArg('7.5/h')).toEqual({ ok: true, ratePerHour: 7.5, speed: 1 });
    for (const bad of ['', 'fast', '0', '10@7200x', '10@0.5x', '-3']) expect(parseSimulateArg(bad).ok, bad).toBe(false);
  });
});

describe('arrivals over time', () => {
  it('follow the day: quiet nights, morning and afternoon peaks, quieter rest days, the mean rate', () => {
    const start = new Date('2026-03-02T16:00:00Z'); // Tuesday 00:00 local
    const stream = createArrivalStream({ seed: 3, ratePerHour: 100, start, calendar: ctx.calendar });
    const byHour = new Array<number>(24).fill(0);
    let work = 0;
    let rest = 0;
    let n = 0;
    const days = 56;
    const end = start.getTime() + days * 24 * HOUR;
    for (let a = stream.next(); a.at.getTime() < end; a = stream.next()) {
      n++;
      byHour[localHour(a.at)]!++;
      if (isRestDay(a.at, ctx.calendar)) rest++;
      else work++;
    }
    expect(byHour[3]!).toBeLessThan(0.1 * byHour[10]!);
    for (const h of [9, 10, 15]) expect(byHour[h]!).toBeGreaterThan(1.5 * (n / 24));
    expect(byHour[12]!).toBeLessThan(byHour[10]! * 0.7); // the lunch dip
    let restDays = 0;
    for (let d = 0; d < days; d++) if (isRestDay(new Date(start.getTime() + (d * 24 + 12) * HOUR), ctx.calendar)) restDays++;
    const perWorkDay = work / (days - restDays);
    const perRestDay = rest / restDays;
    expect(perRestDay / perWorkDay).toBeGreaterThan(0.6);
    expect(perRestDay / perWorkDay).toBeLessThan(0.8);
    expect(perWorkDay / 24).toBeGreaterThan(90);
    expect(perWorkDay / 24).toBeLessThan(110);
    expect(HOURLY_PROFILE.reduce((s, x) => s + x, 0) / 24).toBeCloseTo(1, 6);
  });

  it('a storm rises fast and tails off between its start and end', () => {
    const start = new Date('2026-06-10T06:00:00Z');
    const stream = createStormStream({ start, end: new Date(start.getTime() + 4 * HOUR), peakPerHour: 600 }, 1, 'x');
    const quarters = [0, 0, 0, 0];
    let total = 0;
    for (let a = stream.next(); a; a = stream.next()) {
      expect(a.storm).toBe(true);
      quarters[Math.floor((a.at.getTime() - start.getTime()) / HOUR)]!++;
      total++;
    }
    expect(total).toBeGreaterThan(0.8 * 600 * 4 * 0.5);
    expect(total).toBeLessThan(1.2 * 600 * 4 * 0.5);
    expect(quarters[0]!).toBeGreaterThan(quarters[3]! * 3);
    expect(stormShape(0.25)).toBe(1);
  });

  it('the history gets exactly its count, in time order, storms only in the wet season', () => {
    const now = new Date('2026-11-27T00:00:00Z');
    const times = [...historyArrivals({ seed: 5, count: 20_000, days: 365, now, calendar: ctx.calendar })];
    expect(times).toHaveLength(20_000);
    for (let i = 1; i < times.length; i++) expect(times[i]!.at.getTime()).toBeGreaterThanOrEqual(times[i - 1]!.at.getTime());
    expect(times[0]!.at.getTime()).toBeGreaterThanOrEqual(now.getTime() - 365 * 24 * HOUR);
    expect(times.at(-1)!.at.getTime()).toBeLessThan(now.getTime());
    const stormMonths = new Set(times.filter((t) => t.storm).map((t) => new Date(t.at.getTime() + 8 * HOUR).getUTCMonth() + 1));
    expect(stormMonths.size).toBeGreaterThan(0);
    for (const m of stormMonths) expect(m >= 4 && m <= 9).toBe(true);
  });
});

describe('what arrives where', () => {
  const start = new Date('2026-04-07T00:00:00Z');
  const sample = Array.from({ length: 20_000 }, (_, i) => describeArrival({ at: new Date(start.getTime() + (i % 96) * 900_000), storm: false }, i, simStream(1, `a${i}`), world, tables));

  it('mixes sources as a district sees them: hotline and patrols most, one-key calls rarely', () => {
    const share = (s: string) => sample.filter((a) => a.source === s).length / sample.length;
    expect(share('hotline_12345')).toBeGreaterThan(0.15);
    expect(share('grid_patrol')).toBeGreaterThan(0.15);
    expect(share('urban_management') + share('ai_camera')).toBeGreaterThan(0.1);
    expect(share('ai_camera')).toBeGreaterThan(0.01);
    expect(share('one_key')).toBeGreaterThan(0);
    expect(share('one_key')).toBeLessThan(0.03);
    for (const s of ['enterprise', 'open311', 'migrant', 'gov_service']) expect(share(s), s).toBeGreaterThan(0.005);
  });

  it('urban subdistricts report city management, rural towns illegal construction and land', () => {
    const share = (urban: boolean, prefix: string) => {
      const xs = sample.filter((a) => a.grid && urbanTowns.has(a.grid.townCode) === urban && !a.hotspot);
      return xs.filter((a) => a.categoryCode.startsWith(prefix)).length / xs.length;
    };
    expect(share(true, '04')).toBeGreaterThan(1.3 * share(false, '04'));
    expect(share(false, '06')).toBeGreaterThan(2 * share(true, '06'));
    expect(share(false, '0801')).toBeGreaterThan(share(true, '0801'));
  });

  it('clusters reports at markets, schools and industrial parks near the town centres', () => {
    const at = sample.filter((a) => a.hotspot);
    expect(at.length / sample.length).toBeGreaterThan(0.2);
    expect(at.length / sample.length).toBeLessThan(0.4);
    const markets = at.filter((a) => a.hotspot!.kind === 'market');
    const top = Object.entries(markets.reduce<Record<string, number>>((m, a) => ({ ...m, [a.categoryCode]: (m[a.categoryCode] ?? 0) + 1 }), {})).sort((a, b) => b[1] - a[1])[0]![0];
    expect(top).toBe('040104');
    for (const a of at.filter((x) => x.position).slice(0, 500)) expect(distanceMetres(a.position!, a.hotspot!.centre)).toBeLessThan(a.hotspot!.radiusMetres * 5);
    const parks = at.filter((a) => a.hotspot!.kind === 'industrial_park');
    expect(parks.filter((a) => a.categoryCode.startsWith('10') || a.categoryCode.startsWith('07') || a.categoryCode.startsWith('13')).length / parks.length).toBeGreaterThan(0.7);
    // every position lies in the grid it is said to be in
    for (const a of sample.slice(0, 2000)) if (a.position && a.grid) expect(world.locator.locate(a.position[0], a.position[1])?.gridCode).toBe(a.grid.code);
  });

  it('a rainstorm floods the low-lying grids', () => {
    const storm = Array.from({ length: 3000 }, (_, i) => describeArrival({ at: new Date(start.getTime() + i * 1000), storm: true }, i, simStream(2, `s${i}`), world, tables));
    const floods = storm.filter((a) => a.categoryCode === '0802');
    expect(floods.length / storm.length).toBeGreaterThan(0.5);
    expect(floods.filter((a) => a.grid?.lowLying).length / floods.length).toBeGreaterThan(0.6);
    expect(world.lowGrids.length).toBeGreaterThan(50);
  });
});

describe('payloads in each source format', () => {
  const start = new Date('2026-04-07T02:00:00Z');
  const arrivals = Array.from({ length: 3000 }, (_, i) => describeArrival({ at: new Date(start.getTime() + i * 60_000), storm: i % 10 === 0 }, i, simStream(4, `p${i}`), world, tables));

  it('pass the real adapters, keep the reference, convert GCJ-02/BD-09/CGCS2000 back to the position, and mostly map to the meant category', () => {
    let sameCategory = 0;
    for (const a of arrivals) {
      const rng = simStream(4, `b${a.index}`);
      const p = buildPayload(a, rng, { names, districtCode: world.districtCode, tag: 'T' });
      const r = adaptIntake(p.path, JSON.parse(p.body.text), createIntakeContext({ now: new Date(a.at.getTime() + 60_000), categories }));
      if (!r.ok) throw new Error(`${p.path} refused: ${r.error.message}\n${p.body.text}`);
      expect(r.value.externalRef).toEqual(p.externalRef);
      if (a.position && r.value.location) expect(distanceMetres(r.value.location, a.position)).toBeLessThan(5);
      if (r.value.categoryCode === a.categoryCode) sameCategory++;
      if (a.source === 'ai_camera') expect(r.value.sourceFields.aiAlarm).toBe(true);
    }
    expect(sameCategory / arrivals.length).toBeGreaterThan(0.75);
  });

  it('spoiled payloads are refused (and would be quarantined)', () => {
    for (const a of arrivals.slice(0, 400)) {
      const rng = simStream(4, `c${a.index}`);
      const good = buildPayload(a, rng, { names, districtCode: world.districtCode, tag: 'T' });
      const { payload, spoil } = badPayload(good, rng, a.at);
      const decoded = decodeBody(payload.body);
      if (!decoded.ok) continue;
      const r = adaptIntake(payload.path, decoded.value, createIntakeContext({ now: a.at, categories }));
      expect(r.ok, `${payload.path} ${spoil}: ${payload.body.text}`).toBe(false);
    }
  });

  it('enterprises carry valid unified social credit codes', () => {
    for (let i = 0; i < 200; i++) expect(isValidUscc(uscc(simStream(1, `u${i}`), '440114'))).toBe(true);
  });
});

describe('behaviour through decide', () => {
  it('every planned step of 1,500 events is legal, by the right role, and units sign in office hours', () => {
    const now = new Date('2026-11-27T00:00:00Z');
    const e = createEvolveContext({
      seed: 21,
      tag: 'B',
      now,
      ctx,
      world,
      reference: { locator: world.locator, districtCode: world.districtCode, version: null },
      categories,
      names,
      actors: createSimActors(world),
      behaviour: { ctx, units: new Set(world.units.keys()) },
    });
    const roleOf: Record<string, string[]> = {
      sign: ['unit_operator'],
      start: ['unit_operator'],
      handle: ['unit_operator'],
      bounce: ['unit_operator'],
      request_extension: ['unit_operator'],
      dispatch: ['duty_officer'],
      force_assign: ['duty_officer'],
      request_check: ['duty_officer'],
      close: ['duty_officer'],
      grant_extension: ['duty_officer'],
      refuse_extension: ['duty_officer'],
      verify: ['intake_agent'],
      file: ['intake_agent', 'source:'],
      reject: ['intake_agent'],
      evaluate: ['intake_agent'],
      check_pass: ['supervisor'],
      check_fail: ['supervisor'],
      supervise: ['system'],
      escalate: ['duty_officer', 'system'],
    };
    const seen = new Map<string, number>();
    let refused = 0;
    let i = 0;
    for (const time of historyArrivals({ seed: 21, count: 1500, days: 120, now, calendar: ctx.calendar })) {
      const ev = evolveEvent(time, i++, e)!;
      refused += ev.refused;
      let units = new Set<string>();
      for (const a of ev.entries) {
        seen.set(a.command, (seen.get(a.command) ?? 0) + 1);
        if (a.command === 'report') continue;
        const allowed = roleOf[a.command];
        if (allowed) expect(allowed.some((r) => r === a.role || (r === 'source:' && a.actorId.startsWith('source:'))), `${a.command} by ${a.role}`).toBe(true);
        if (a.command === 'dispatch' || a.command === 'force_assign') {
          const p = a.payload as { leadUnitId: string; assistingUnitIds?: string[] };
          // force_assign without assisting units keeps the ones there were
          units = new Set([p.leadUnitId, ...(p.assistingUnitIds ?? [...units])]);
        }
        if (a.role === 'unit_operator') expect(units.has(a.organisationId), `${a.command} by ${a.organisationId}, units ${[...units].join()} :: ${ev.entries.map((x) => `${x.command}/${x.organisationId}/${JSON.stringify(x.payload).slice(0, 80)}`).join(' | ')}`).toBe(true);
        if (a.command === 'bounce') expect(a.reasonCode).not.toBeNull();
        if (a.command === 'sign' && ev.record.urgency === 'normal') expect(isWorkingTime(ctx.calendar, new Date(a.at)), a.at).toBe(true);
      }
    }
    expect(refused).toBe(0);
    for (const c of ['verify', 'file', 'reject', 'dispatch', 'sign', 'bounce', 'start', 'handle', 'request_check', 'check_pass', 'check_fail', 'close', 'evaluate', 'supervise', 'request_extension', 'grant_extension']) {
      expect(seen.get(c) ?? 0, c).toBeGreaterThan(0);
    }
  });
});
