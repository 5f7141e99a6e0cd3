/**
 * Small coloured labels (state, urgency, clock, outbox state). The tone carries
 * the meaning through colour AND text, so nothing depends on colour alone.
 */
import type { ReactNode } from 'react';
import type { Tone } from './Toasts';
import './components.css';

export function Badge(props: { tone: Tone; children: ReactNode; title?: string; testId?: string; data?: Record<string, string> }) {
  const data = Object.fromEntries(Object.entries(props.data ?? {}).map(([k, v]) => [`data-${k}`, v]));
  return (
    <span className={`badge badge--${props.tone}`} title={props.title} data-testid={props.testId} {...data}>
      {props.children}
    </span>
  );
}

/** A keyboard key as shown in hints and the help overlay. */
export function Kbd({ children }: { children: ReactNode }) {
  return <kbd className="kbd">{children}</kbd>;
}
