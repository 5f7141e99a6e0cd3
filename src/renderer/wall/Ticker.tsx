/**
 * The newest events, newest on top; a row that was not there at the previous
 * answer flashes once. Shows stage colour, title, town and source, and how
 * long ago it came in.
 *
 * `LiveTicker` asks for the list itself, and only when a change can alter it
 * (ticker-refresh.ts: a new event, a row on show, a load) or every 30 s — not
 * at every change of the district, which at 50 changes a second is a request
 * and a re-render of the panel three times a second for nothing. Rows are
 * memoised: a new answer re-renders the rows that differ, the clock the rows
 * whose "minutes ago" moved — and it runs only when one does (the earliest next
 * change of the rows' wording, `nextElapsedChange`), not every second.
 */
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import type { EventRow } from '../../core/rpc/queries';
import type { RpcClient } from '../../core/rpc/wire';
import { EventStatus } from '../../core/workflow/states';
import { useI18n } from '../i18n';
import type { MapModel } from '../map/map-model';
import { STAGE_COLORS, rgbaCss, stageOf } from './event-style';
import { elapsed, nextElapsedChange } from './format';
import { mapFrameSync } from '../map/frame-sync';
import { Panel } from './Panel';
import { tickerNeedsRefresh } from './ticker-refresh';
import { Signal, sameJson, usePolledSignal, useSignal, type LiveEvents } from './use-wall-data';

const CLOCK_CODE = { running: 1, warning: 2, overdue: 3 } as const;

/** The ticker of the live wall: its request follows the changes that can alter it. */
export function LiveTicker({ client, live, limit, model, onPick }: { client: RpcClient; live: LiveEvents | null; limit: number; model: MapModel | null; onPick: (row: EventRow) => void }) {
  const trigger = useMemo(() => new Signal(0), []);
  const list = usePolledSignal(
    client,
    'events/list',
    { filter: { queue: 'all' }, sort: 'reported_desc', limit },
    // the answer's checkpoint moves with every change anywhere: the rows decide; new rows are shown
    // with the map's frame when one is coming (most often the frame that draws the same change)
    { everyMs: 30_000, trigger, minGapMs: 300, equal: (a, b) => sameJson(a.rows, b.rows), frames: mapFrameSync },
  );
  useEffect(() => {
    if (!live) return;
    return live.lastChange.subscribe(() => {
      const change = live.lastChange.get();
      if (change && tickerNeedsRefresh(change, list.get().data?.rows ?? null, limit)) trigger.set(trigger.get() + 1);
    });
  }, [live, list, trigger, limit]);
  const rows = useSignal(list).data?.rows ?? null;
  return <Ticker rows={rows} model={model} onPick={onPick} />;
}

export function Ticker({ rows, model, onPick }: { rows: readonly EventRow[] | null; model: MapModel | null; onPick: (row: EventRow) => void }) {
  const { t } = useI18n();
  const now = useElapsedClock(rows);
  // rows new in this answer (not in the previous one): they flash once, until the next answer
  const known = useRef<Set<string> | null>(null);
  const fresh = useMemo(() => {
    const out = new Set<string>();
    if (rows && known.current) for (const r of rows) if (!known.current.has(r.id)) out.add(r.id);
    return out;
  }, [rows]);
  useEffect(() => {
    if (rows) known.current = new Set(rows.map((r) => r.id));
  }, [rows]);

  const ago = (iso: string) => {
    const e = elapsed(Date.parse(iso), now);
    return e.unit === 'now' ? t.wall.ticker.now : t.wall.ticker[e.unit](e.value);
  };
  return (
    <Panel title={t.wall.ticker.title} testId="ticker" className="wall-panel--ticker">
      {!rows || rows.length === 0 ? (
        <div className="chart-empty">{t.wall.ticker.empty}</div>
      ) : (
        <ol className="ticker">
          {rows.map((r) => (
            <TickerRow
              key={r.id}
              row={r}
              town={r.townCode ? (model?.townByCode.get(r.townCode)?.name ?? null) : null}
              source={t.wall.sources[r.source]}
              ago={ago(r.reportedAt)}
              fresh={fresh.has(r.id)}
              onPick={onPick}
            />
          ))}
        </ol>
      )}
    </Panel>
  );
}

/**
 * The time the rows' "minutes ago" is worded at: now, and a re-render when the first of them would
 * read differently (a minute at most while a row is under an hour old).
 */
function useElapsedClock(rows: readonly EventRow[] | null): number {
  const [, setTick] = useState(0);
  const now = Date.now();
  useEffect(() => {
    if (!rows || rows.length === 0) return;
    let next = Number.POSITIVE_INFINITY;
    for (const r of rows) {
      const at = Date.parse(r.reportedAt);
      if (Number.isFinite(at)) next = Math.min(next, nextElapsedChange(at, now));
    }
    if (!Number.isFinite(next)) return;
    // a few ms late rather than early (a timer may fire a little before its time)
    const id = setTimeout(() => setTick((n) => n + 1), Math.min(next - now, 86_400_000) + 20);
    return () => clearTimeout(id);
  }, [rows, now]);
  return now;
}

interface TickerRowProps {
  row: EventRow;
  town: string | null;
  source: string;
  ago: string;
  fresh: boolean;
  onPick: (row: EventRow) => void;
}

/** What a row shows: a new answer with the same figures re-renders nothing. */
const sameRow = (a: TickerRowProps, b: TickerRowProps) =>
  a.ago === b.ago &&
  a.fresh === b.fresh &&
  a.town === b.town &&
  a.source === b.source &&
  a.onPick === b.onPick &&
  (a.row === b.row || sameJson(a.row, b.row));

const TickerRow = memo(function TickerRow({ row: r, town, source, ago, fresh, onPick }: TickerRowProps) {
  const stage = stageOf(EventStatus.options.indexOf(r.status), r.clockStatus ? CLOCK_CODE[r.clockStatus] : 0);
  return (
    <li className={`ticker__item ${fresh ? 'ticker__item--fresh' : ''} ticker__item--${r.urgency}`} data-testid="ticker-item" data-id={r.id}>
      <button type="button" className="ticker__button" onClick={() => onPick(r)}>
        <span className="ticker__dot" style={{ background: rgbaCss(STAGE_COLORS[stage]) }} aria-hidden="true" />
        <span className="ticker__title">{r.title}</span>
        <span className="ticker__meta">
          {town && <span>{town}</span>}
          <span>{source}</span>
        </span>
        <span className="ticker__time">{ago}</span>
      </button>
    </li>
  );
}, sameRow);
