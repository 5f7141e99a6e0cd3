/**
 * The extracted columns the writer stores with a row (storedColumns) read the row's JSON text parsed back, as a
 * client does. Since the columns of a plain-JSON row object are taken from the object itself (no parse-back),
 * these pin that the stored text is the same either way: for intake's real event and audit documents and for
 * rows that are not plain JSON data (a Date, toJSON, undefined, NaN, -0, holes, class instances), whose
 * direct reading differs and which must therefore still be parsed back; and through ChangeBuffer.upsert.
 */
import { describe, expect, it } from 'vitest';
import type { ReplicatedTable } from '../../core';
import { extractValues } from '../../core/sync/extraction';
import { ChangeBuffer, isPlainJson, storedColumns } from './write';

const ID = '07052fc3-348f-4135-96c3-fbd728b8e61a';

/** an event document as intake writes it (bench:datacenter's hotline order), with a clock and assisting units */
function intakeEvent(): Record<string, unknown> {
  return {
    id: ID,
    title: '第15号：夜间施工噪音扰民，影响休息',
    caseNo: 'HD202611280016',
    source: 'hotline_12345',
    address: null,
    urgency: 'normal',
    location: [113.210775, 23.406273],
    reporter: { name: '陈先生', phone: '13800001111', organisation: null },
    workflow: {
      id: ID,
      area: { gridCode: '440114001002002', townCode: '440114001000', villageCode: '440114001002', districtCode: '440114' },
      clocks: [{ startedAt: '2026-11-27T20:28:00.644Z', baseDeadline: '2026-11-28T20:28:00.644Z', warnAt: 0.75, extensions: [{ addedMs: 3_600_000 }], pauses: [{ from: '2026-11-27T21:00:00Z', to: '2026-11-27T22:00:00Z' }] }],
      status: 'reported',
      version: 1,
      closedAt: null,
      updatedAt: '2026-11-27T20:28:00.644Z',
      escalation: null,
      leadUnitId: null,
      reportedAt: '2026-11-27T20:27:30.417Z',
      supervision: { level: 2, byActorId: 'u-sup' },
      categoryCode: '0702',
      unitProgress: [],
      requiresCheck: true,
      assistingUnitIds: ['U1', 'U2'],
      pendingExtension: null,
    },
    createdAt: '2026-11-27T20:28:00.644Z',
    attachments: [],
    description: '第15号：夜间施工噪音扰民，影响休息 "引号" \\ 𠀀',
    externalRef: { id: 'BENCH-dump-15', system: '12345' },
    sourceLocation: { lat: 23.406273, lon: 113.210775, system: 'wgs84' },
    outsideDistrict: false,
    duplicateCandidates: ['0d0fac87-1482-4261-9667-ebda9b68080e'],
  };
}

function intakeAudit(): Record<string, unknown> {
  return {
    at: '2026-11-27T20:28:00.644Z',
    to: 'reported',
    seq: 1,
    from: 'reported',
    role: 'intake_agent',
    reason: null,
    actorId: 'source:hotline_12345',
    command: 'report',
    eventId: ID,
    payload: { source: 'hotline_12345', placement: 'point', externalRef: { id: 'BENCH-dump-15', system: '12345' }, duplicateCandidates: [] },
    actorName: '12345政务服务便民热线',
    attachments: [],
  };
}

/** the columns as the writer stored them before it read plain objects directly: always from the text parsed back */
const parsedBack = (table: ReplicatedTable, key: string, row: unknown) => storedColumns(table, key, JSON.stringify(row));
const withObject = (table: ReplicatedTable, key: string, row: unknown) => storedColumns(table, key, JSON.stringify(row), row);

class Point {
  constructor(
    readonly lon: number,
    readonly lat: number,
  ) {}
}

describe('isPlainJson', () => {
  it('accepts what JSON carries unchanged: the intake documents, their parse-back, empty and nested values', () => {
    for (const value of [intakeEvent(), intakeAudit(), JSON.parse(JSON.stringify(intakeEvent())), {}, [], [[], {}], 'x', 0, -1.5, 1e300, true, null]) {
      expect(isPlainJson(value)).toBe(true);
    }
  });

  it('refuses what a JSON round trip would change or drop, at any depth', () => {
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    const inherited = Object.create({ status: 'closed' }) as Record<string, unknown>;
    inherited.id = ID;
    const cases: unknown[] = [
      new Date(0),
      { toJSON: () => 'x' },
      { a: undefined },
      [undefined],
      NaN,
      Infinity,
      -0,
      sparse,
      new Point(1, 2),
      new Map(),
      () => 1,
      Symbol('s'),
      10n,
      undefined,
      Object.assign(Object.create(null) as object, { a: 1 }),
      inherited,
    ];
    for (const bad of cases) {
      expect(isPlainJson(bad)).toBe(false);
      expect(isPlainJson({ workflow: { clocks: [{ pauses: [bad] }] } })).toBe(false);
    }
  });

  it('refuses nesting deeper than it walks (such a row is parsed back)', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(isPlainJson(deep)).toBe(false);
  });
});

describe('storedColumns of a row object equal those of its text parsed back', () => {
  it('for the intake documents and variations of them', () => {
    const rows: [ReplicatedTable, string, unknown][] = [
      ['events', ID, intakeEvent()],
      ['events', ID, { ...intakeEvent(), workflow: { ...(intakeEvent().workflow as object), status: 'closed', closedAt: '2026-11-28T00:00:00Z', clocks: [] } }],
      ['events', ID, { ...intakeEvent(), location: null }],
      ['events', 'OTHER', intakeEvent()], // refused: id differs from the key
      ['audit', `${ID}:1`, intakeAudit()],
      ['audit', `${ID}:1`, { ...intakeAudit(), seq: 1.5 }], // refused: seq not an integer
      ['grids', '440114001002002', { code: '440114001002002', villageCode: '440114001002', townCode: '440114001000', validTo: null }],
      ['workers', 'W1', { name: 'w' }],
    ];
    for (const [table, key, row] of rows) {
      expect(isPlainJson(row)).toBe(true);
      expect(withObject(table, key, row)).toBe(parsedBack(table, key, row));
    }
    const event = withObject('events', ID, intakeEvent())!;
    expect(JSON.parse(event)).toEqual(extractValues('events', ID, intakeEvent()));
    expect(withObject('events', 'OTHER', intakeEvent())).toBeNull();
  });

  it('for rows that are not plain JSON data, whose direct reading would differ: they are parsed back', () => {
    const rows: [string, unknown][] = [
      // a Date reads as no ISO string directly (the row would be refused) but as one from the text
      ['a Date', { ...intakeEvent(), createdAt: new Date('2026-11-27T20:28:00.644Z') }],
      // NaN is a number directly (a non-finite column: no columns) but null from the text (no position)
      ['NaN', { ...intakeEvent(), location: [NaN, 23.4] }],
      ['toJSON', { ...intakeEvent(), workflow: { ...(intakeEvent().workflow as object), toJSON: () => ({ status: 'closed', reportedAt: '2026-11-27T20:27:30.417Z', updatedAt: '2026-11-27T20:28:00.644Z' }) } }],
      ['undefined', { ...intakeEvent(), address: undefined, workflow: { ...(intakeEvent().workflow as object), leadUnitId: undefined } }],
      ['-0', { ...intakeEvent(), location: [-0, 23.4] }],
      ['a hole', { ...intakeEvent(), workflow: { ...(intakeEvent().workflow as object), assistingUnitIds: Object.assign(['U1'], { 2: 'U3' }) } }],
      ['a class instance', { ...intakeEvent(), workflow: { ...(intakeEvent().workflow as object), supervision: Object.assign(new Point(0, 0), { level: 3, byActorId: 'x' }) } }],
    ];
    for (const [what, row] of rows) {
      expect(isPlainJson(row), what).toBe(false);
      expect(withObject('events', ID, row), what).toBe(parsedBack('events', ID, row));
    }
    // the cases above that would differ if the object were read directly
    expect(parsedBack('events', ID, rows[0]![1])).not.toBeNull();
    expect(JSON.parse(parsedBack('events', ID, rows[1]![1])!)[9]).toBeNull();
    expect(JSON.parse(parsedBack('events', ID, rows[2]![1])!)[1]).toBe('closed');
  });

  it('through ChangeBuffer.upsert', () => {
    const buffer = new ChangeBuffer(1);
    const date = { ...intakeEvent(), id: 'E2', workflow: { ...(intakeEvent().workflow as object), updatedAt: new Date('2026-11-27T20:28:00.644Z') } };
    buffer.upsert('events', ID, '440114001000', intakeEvent());
    buffer.upsert('events', 'E2', '440114001000', date);
    buffer.upsert('audit', `${ID}:1`, '440114001000', intakeAudit());
    const ops = [...buffer.ops.values()];
    expect(ops.map((o) => o.colsJson)).toEqual([parsedBack('events', ID, intakeEvent()), parsedBack('events', 'E2', date), parsedBack('audit', `${ID}:1`, intakeAudit())]);
    expect(ops.every((o) => o.colsJson !== null)).toBe(true);
    expect(() => buffer.upsert('nope' as ReplicatedTable, 'k', null, {})).toThrow(/unknown replicated table/);
  });
});
