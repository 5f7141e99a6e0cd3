import { describe, expect, it } from 'vitest';
import { EXTRACTION_TABLES, EXTRACTION_VERSION, extractedColumns, extractValues, MalformedRowError } from './extraction';

/**
 * The extraction's contract with the data center: columns computed by one version are sent to clients of that
 * version and stored without a second look. Any change of a column list or of a computation below must bump
 * EXTRACTION_VERSION — and then update the pins here.
 */
describe('extraction version pins', () => {
  it('pins the version and every table column list', () => {
    expect(EXTRACTION_VERSION).toBe(1);
    expect(Object.fromEntries(EXTRACTION_TABLES.map((t) => [t, extractedColumns(t)]))).toEqual({
      areas: ['level', 'parent_code'],
      grids: ['code', 'village_code', 'town_code', 'valid_to'],
      units: ['kind', 'area_code'],
      workers: [],
      config: [],
      events: [
        'case_no', 'status', 'is_open', 'category_code', 'town_code', 'village_code', 'grid_code', 'source', 'urgency', 'lon', 'lat',
        'reported_at', 'created_at', 'updated_at', 'closed_at', 'deadline_at', 'warn_at', 'clock_state', 'lead_unit_id',
        'supervision_level', 'escalation_rung', 'title', 'address', 'pause_from', 'pending_extension', 'supervised_by', 'assisting_units',
      ],
      audit: ['event_id', 'seq', 'at'],
      wall: ['kind'],
    });
  });

  it('pins the values of a sample of each table', () => {
    const event = {
      id: 'E1',
      caseNo: 'C-1',
      source: 'hotline',
      urgency: 'high',
      title: 'Road blocked',
      address: 'No. 1',
      location: [120.5, 30.25],
      createdAt: '2026-01-01T00:00:00.000Z',
      workflow: {
        status: 'in_progress',
        categoryCode: 'road',
        area: { townCode: 'T1', villageCode: 'V1', gridCode: 'G1' },
        reportedAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T01:00:00.000Z',
        closedAt: null,
        leadUnitId: 'U1',
        supervision: { level: 2, byActorId: 'A1' },
        escalation: { rung: 'town' },
        pendingExtension: { addedMs: 1 },
        assistingUnitIds: ['U2', 7, 'U3'],
        clocks: [
          {
            startedAt: '2026-01-01T00:00:00.000Z',
            baseDeadline: '2026-01-01T10:00:00.000Z',
            warnAt: 0.5,
            extensions: [{ addedMs: 3_600_000 }],
            pauses: [
              { from: '2026-01-01T02:00:00.000Z', to: '2026-01-01T03:00:00.000Z' },
              { from: '2026-01-01T04:00:00.000Z', to: null },
            ],
          },
        ],
      },
    };
    const t = (s: string) => Date.parse(s);
    const deadline = t('2026-01-01T10:00:00.000Z') + 2 * 3_600_000;
    expect(extractValues('events', 'E1', event)).toEqual([
      'C-1', 'in_progress', 1, 'road', 'T1', 'V1', 'G1', 'hotline', 'high', 120.5, 30.25,
      t('2026-01-01T00:00:00.000Z'), t('2026-01-01T00:00:00.000Z'), t('2026-01-01T01:00:00.000Z'), null,
      deadline, Math.round(t('2026-01-01T00:00:00.000Z') + (deadline - t('2026-01-01T00:00:00.000Z')) * 0.5), 'paused',
      'U1', 2, 'town', 'Road blocked', 'No. 1', '2026-01-01T04:00:00.000Z', 1, 'A1', '["U2","U3"]',
    ]);
    expect(extractValues('audit', 'a', { eventId: 'E1', seq: 3, at: '2026-01-01T00:00:00Z' })).toEqual(['E1', 3, t('2026-01-01T00:00:00Z')]);
    expect(extractValues('grids', 'g', { villageCode: 'V', townCode: 'T', validTo: null })).toEqual(['g', 'V', 'T', null]);
    expect(extractValues('areas', 'a', { level: 'town', parentCode: 'D' })).toEqual(['town', 'D']);
    expect(extractValues('units', 'u', { kind: 'dept', areaCode: 'D' })).toEqual(['dept', 'D']);
    expect(extractValues('wall', 'w', { kind: 'directive' })).toEqual(['directive']);
    expect(extractValues('workers', 'w', { anything: 1 })).toEqual([]);
  });

  it('refuses a row the replica cannot index, naming its table and key', () => {
    expect(() => extractValues('events', 'E1', { id: 'E2' })).toThrow(MalformedRowError);
    expect(() => extractValues('audit', 'a', { eventId: 'E1', seq: 1.5, at: '2026-01-01T00:00:00Z' })).toThrow(/audit row "a": seq must be an integer/);
    expect(() => extractValues('wall', 'w', [])).toThrow(/must be a JSON object/);
  });
});
