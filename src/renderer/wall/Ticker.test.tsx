// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react';
import { Profiler } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventRow } from '../../core/rpc/queries';
import { I18nProvider } from '../i18n';
import { Ticker } from './Ticker';

const NOW = Date.parse('2024-05-01T10:00:00Z');

const row = (id: string, reportedAt: number): EventRow => ({
  id,
  caseNo: `HD-${id}`,
  title: `event ${id}`,
  address: null,
  status: 'reported',
  categoryCode: null,
  source: 'grid_patrol',
  urgency: 'normal',
  townCode: null,
  villageCode: null,
  gridCode: null,
  location: null,
  reportedAt: new Date(reportedAt).toISOString(),
  updatedAt: new Date(reportedAt).toISOString(),
  leadUnitId: null,
  deadline: null,
  clockStatus: null,
  supervisionLevel: null,
  pending: null,
});

/** time passing a second at a time (each second's renders and effects settle before the next) */
function advance(ms: number) {
  for (let left = ms; left > 0; left -= 1_000) act(() => void vi.advanceTimersByTime(Math.min(1_000, left)));
}

const times = () => screen.getAllByTestId('ticker-item').map((li) => li.querySelector('.ticker__time')!.textContent);

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('Ticker clock', () => {
  it('rewords "minutes ago" when a row’s wording changes, with no timer in between', () => {
    // 40 s and 5 min 30 s old: the next changes are at +20 s ("1 min ago") and +30 s ("6 min ago")
    const rows = [row('a', NOW - 40_000), row('b', NOW - 330_000)];
    let commits = 0;
    render(
      <Profiler id="ticker" onRender={() => void commits++}>
        <I18nProvider locale="en">
          <Ticker rows={rows} model={null} onPick={() => {}} />
        </I18nProvider>
      </Profiler>,
    );
    expect(times()).toEqual(['just now', '5 min ago']);
    // one timer, for the first change: not a clock ticking every second
    expect(vi.getTimerCount()).toBe(1);
    const first = commits;
    advance(19_000);
    expect(times()).toEqual(['just now', '5 min ago']);
    expect(commits).toBe(first); // nothing re-rendered in those 19 s
    advance(1_100);
    expect(times()).toEqual(['1 min ago', '5 min ago']);
    advance(10_000);
    expect(times()).toEqual(['1 min ago', '6 min ago']);
    advance(60_000);
    expect(times()).toEqual(['2 min ago', '7 min ago']);
    expect(vi.getTimerCount()).toBe(1);
    // four changes of wording in 90 s: four re-renders, not ninety
    expect(commits - first).toBe(4);
  });

  it('runs no clock without rows', () => {
    render(
      <I18nProvider locale="en">
        <Ticker rows={[]} model={null} onPick={() => {}} />
      </I18nProvider>,
    );
    expect(vi.getTimerCount()).toBe(0);
  });
});
