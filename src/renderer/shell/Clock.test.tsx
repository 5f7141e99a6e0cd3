// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react';
import { Profiler } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { I18nProvider } from '../i18n';
import { Clock } from './Clock';

beforeEach(() => {
  // 23:59:58 on 1 May 2024 in Huadu (UTC+8), whatever the machine's zone
  vi.useFakeTimers({ now: Date.parse('2024-05-01T15:59:58Z') });
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('Clock', () => {
  it('shows the time every second, and the date when it changes, without re-rendering', () => {
    let commits = 0;
    render(
      <Profiler id="clock" onRender={() => void commits++}>
        <I18nProvider locale="en">
          <Clock />
        </I18nProvider>
      </Profiler>,
    );
    const time = () => screen.getByTestId('clock').querySelector('.clock__time')!.textContent;
    const date = () => screen.getByTestId('clock').querySelector('.clock__date')!.textContent;
    expect(time()).toBe('23:59:58');
    const day = date();
    expect(day).toContain('05/01/2024');
    const rendered = commits;
    act(() => void vi.advanceTimersByTime(1_000));
    expect(time()).toBe('23:59:59');
    expect(date()).toBe(day);
    act(() => void vi.advanceTimersByTime(1_000));
    expect(time()).toBe('00:00:00');
    expect(date()).toContain('05/02/2024');
    act(() => void vi.advanceTimersByTime(10_000));
    expect(time()).toBe('00:00:10');
    expect(commits).toBe(rendered);
  });

  it("shows the district's time and date, not the machine's (16:17 Saturday UTC is 00:17 Sunday in Huadu)", () => {
    vi.setSystemTime(Date.parse('2026-11-28T16:17:00Z'));
    render(
      <I18nProvider locale="en">
        <Clock />
      </I18nProvider>,
    );
    const clock = screen.getByTestId('clock');
    expect(clock.querySelector('.clock__time')!.textContent).toBe('00:17:00');
    expect(clock.querySelector('.clock__date')!.textContent).toBe('Sun, 11/29/2026');
  });
});
