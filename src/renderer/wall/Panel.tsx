/** A titled panel of the wall: the frame every figure and chart sits in. */
import type { ReactNode } from 'react';

export function Panel(props: { title: string; testId: string; className?: string; children: ReactNode; aside?: ReactNode }) {
  return (
    <section className={`wall-panel ${props.className ?? ''}`} data-testid={props.testId} aria-label={props.title}>
      <header className="wall-panel__head">
        <h2 className="wall-panel__title">{props.title}</h2>
        {props.aside}
      </header>
      <div className="wall-panel__body">{props.children}</div>
    </section>
  );
}
