/**
 * Time on the workstation: one shared ticker for every live countdown (one
 * timer for the whole view, not one per row), and the wording of remaining
 * and overdue durations ("剩 2天3小时", "超 45分").
 */
import { useSyncExternalStore } from 'react';
import type { WorkstationMessages } from './i18n/zh-cn';

type Listener = () => void;
const listeners = new Set<Listener>();
let timer: ReturnType<typeof setInterval> | null = null;
let nowMs = Date.now();
/** tests and the demo can move the clock */
let source: () => number = () => Date.now();

function tick() {
  nowMs = source();
  listeners.forEach((l) => l());
}

function subscribe(l: Listener): () => void {
  listeners.add(l);
  if (!timer) timer = setInterval(tick, 1000);
  return () => {
    listeners.delete(l);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

/** The current time in ms, re-rendering every second. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, () => nowMs);
}

/** For tests: where "now" comes from; ticks once at once. */
export function setNowSource(fn: () => number): void {
  source = fn;
  tick();
}

export function currentTime(): Date {
  return new Date(source());
}

/** 2 days 3 hours / 4 hours 10 minutes / 12 minutes / 40 seconds: two units at most. */
export function formatDuration(ms: number, t: WorkstationMessages): string {
  const abs = Math.abs(ms);
  const minutes = Math.floor(abs / 60_000);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  if (days >= 1) return t.duration.days(days, hours % 24);
  if (hours >= 1) return t.duration.hours(hours, minutes % 60);
  if (minutes >= 1) return t.duration.minutes(minutes);
  return t.duration.seconds(Math.floor(abs / 1000));
}

/** "剩 …" before the deadline, "超 …" after it. */
export function formatCountdown(deadlineMs: number, now: number, t: WorkstationMessages): string {
  const left = deadlineMs - now;
  return left >= 0 ? t.clock.left(formatDuration(left, t)) : t.clock.over(formatDuration(left, t));
}
