/**
 * Small rules of the workstation: every shortcut is bound once, the outbox
 * badge says "queued offline" while the link is down, new urgent events ring
 * once and not at sign-in, durations read as people say them, and both
 * catalogues have the same keys.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EventRow } from '../../core/rpc/queries';
import { parseCombo } from '../components/hotkeys';
import { catalogues } from '../i18n';
import { organisationName } from './detail/AuditTimeline';
import { canShowInline } from './detail/EventDetailPanel';
import { workstationEn } from './i18n/en';
import { workstationZhCN } from './i18n/zh-cn';
import { ArrivalWatcher } from './notify';
import { outboxBadge } from './outbox';
import { allTopLevelCombos, shortcutGroups } from './shortcuts';
import { formatCountdown, formatDuration } from './time';

describe('shortcuts', () => {
  it('binds every top-level combo once', () => {
    const combos = allTopLevelCombos().map((c) => JSON.stringify(parseCombo(c)));
    const dupes = combos.filter((c, i) => combos.indexOf(c) !== i);
    expect(dupes).toEqual([]);
  });

  it('lists every bound combo in the help overlay, in both languages', () => {
    for (const t of Object.values(catalogues)) {
      const listed = new Set(shortcutGroups(t).flatMap((g) => g.items.flatMap((i) => i.combos)));
      for (const c of allTopLevelCombos()) expect(listed.has(c), c).toBe(true);
    }
  });
});

describe('outboxBadge', () => {
  it('tells queued offline from queued, and colours each state', () => {
    expect(outboxBadge('queued', true)).toEqual({ key: 'queuedOffline', tone: 'warn' });
    expect(outboxBadge('queued', false)).toEqual({ key: 'queued', tone: 'muted' });
    expect(outboxBadge('sent', true).key).toBe('sent');
    expect(outboxBadge('confirmed', false)).toEqual({ key: 'confirmed', tone: 'ok' });
    expect(outboxBadge('rejected', false)).toEqual({ key: 'rejected', tone: 'bad' });
  });
});

describe('ArrivalWatcher', () => {
  const row = (id: string) => ({ id }) as EventRow;
  it('takes the first look as the baseline and reports each new event once', () => {
    const w = new ArrivalWatcher();
    expect(w.fresh([row('a'), row('b')])).toEqual([]);
    expect(w.fresh([row('c'), row('a')]).map((r) => r.id)).toEqual(['c']);
    expect(w.fresh([row('c'), row('a')])).toEqual([]);
    w.reset();
    expect(w.fresh([row('d')])).toEqual([]);
  });
});

describe('durations', () => {
  it('reads two units at most, in both languages', () => {
    expect(formatDuration((2 * 24 + 3) * 3_600_000 + 5 * 60_000, workstationZhCN)).toBe('2天3小时');
    expect(formatDuration(4 * 3_600_000 + 10 * 60_000, workstationEn)).toBe('4h 10m');
    expect(formatDuration(12 * 60_000, workstationZhCN)).toBe('12分');
    expect(formatCountdown(1_000_000, 1_000_000 - 45 * 60_000, workstationZhCN)).toBe('剩 45分');
    expect(formatCountdown(1_000_000, 1_000_000 + 90 * 60_000, workstationEn)).toBe('1h 30m over');
  });
});

describe('catalogues', () => {
  it('have the same keys and kinds', () => {
    const shape = (o: unknown): unknown =>
      typeof o === 'function' ? 'fn' : Array.isArray(o) ? o.length : o && typeof o === 'object' ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k, shape(v)])) : typeof o;
    expect(shape(workstationEn)).toEqual(shape(workstationZhCN));
  });
});

describe('attachments', () => {
  afterEach(() => vi.unstubAllGlobals());
  it('draws only images the content security policy lets the page load; others are links', () => {
    vi.stubGlobal('location', new URL('http://127.0.0.1:8700/?mode=workstation'));
    expect(canShowInline('https://grid.huadu.gov.cn/files/20261127/364c51e4.jpg')).toBe(false);
    expect(canShowInline('http://127.0.0.1:8700/files/a.jpg')).toBe(true);
    expect(canShowInline('/files/a.jpg')).toBe(true);
    expect(canShowInline('data:image/png;base64,AAAA')).toBe(true);
    expect(canShowInline('blob:http://127.0.0.1:8700/1234')).toBe(true);
    expect(canShowInline('http://127.0.0.1:9999/files/a.jpg')).toBe(false);
  });
});

describe('timeline organisations', () => {
  it('names units, source systems by their source, and leaves anything else as it is', () => {
    const unitName = (id: string) => ({ 'dept-cg': '城管局' })[id] ?? id;
    expect(organisationName('dept-cg', unitName, workstationZhCN.sources)).toBe('城管局');
    expect(organisationName('source-grid_patrol', unitName, workstationZhCN.sources)).toBe(workstationZhCN.sources.grid_patrol);
    expect(organisationName('source-nonsense', unitName, workstationZhCN.sources)).toBe('source-nonsense');
    expect(organisationName('system', unitName, workstationZhCN.sources)).toBe('system');
  });
});
