// @vitest-environment happy-dom
import { act, cleanup, render, screen } from '@testing-library/react';
import { Profiler } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { I18nProvider } from '../i18n';
import { Clock } from './Clock';

beforeEach(() => {
  vi.useFakeTimers({ now: new Date(2024, 4, 1, 23, 59, 58) });
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
});
