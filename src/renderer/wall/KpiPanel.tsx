/**
 * Today's figures in tiles readable from across the room: intake, dispatched,
 * in progress, overdue (counts), and closure, on-time closure and
 * satisfaction (rates, with their declared formula and numbers on hover).
 * Tiles are memoised on what they show: a new answer (every 2 s while events
 * flow) re-renders the tiles whose figure moved, not all seven.
 */
import { memo } from 'react';
import type { Kpis, Rate } from '../../core/rpc/queries';
import { useI18n } from '../i18n';
import { DASH, formatCount, formatRate, rateTooltip } from './format';
import { Panel } from './Panel';

export function KpiPanel({ kpis, unavailable }: { kpis: Kpis | null; unavailable: boolean }) {
  const { t, locale } = useI18n();
  const k = t.wall.kpi;
  const count = (n: number | undefined) => (kpis && n !== undefined ? formatCount(n, locale) : DASH);
  return (
    <Panel title={k.title} testId="kpi-panel" aside={unavailable && !kpis ? <span className="wall-panel__note">{k.unavailable}</span> : undefined}>
      <div className="kpis">
        <Tile testId="kpi-intake" label={k.intake} value={count(kpis?.intake)} raw={kpis?.intake} tone="accent" />
        <Tile testId="kpi-dispatched" label={k.dispatched} value={count(kpis?.dispatched)} raw={kpis?.dispatched} />
        <Tile testId="kpi-in-progress" label={k.inProgress} value={count(kpis?.inProgress)} raw={kpis?.inProgress} />
        <Tile testId="kpi-overdue" label={k.overdue} value={count(kpis?.overdue)} raw={kpis?.overdue} tone={kpis && kpis.overdue > 0 ? 'bad' : undefined} />
        <RateTile testId="kpi-closure" label={k.closureRate} rate={kpis?.closureRate ?? null} note={k.insufficient} />
        <RateTile testId="kpi-on-time" label={k.onTimeRate} rate={kpis?.onTimeRate ?? null} note={k.insufficient} />
        <RateTile testId="kpi-satisfaction" label={k.satisfaction} rate={kpis?.satisfaction ?? null} note={k.insufficient} />
      </div>
    </Panel>
  );
}

const Tile = memo(function Tile(props: { testId: string; label: string; value: string; raw: number | undefined; tone?: 'accent' | 'bad' }) {
  return (
    <div className={`kpi ${props.tone ? `kpi--${props.tone}` : ''}`}>
      <span className="kpi__value" data-testid={props.testId} data-value={props.raw ?? ''}>
        {props.value}
      </span>
      <span className="kpi__label">{props.label}</span>
    </div>
  );
});

const sameRate = (a: Rate | null, b: Rate | null) =>
  a === b ||
  (a !== null &&
    b !== null &&
    a.value === b.value &&
    a.sufficient === b.sufficient &&
    a.numerator === b.numerator &&
    a.denominator === b.denominator &&
    a.formula === b.formula);

const RateTile = memo(function RateTile(props: { testId: string; label: string; rate: Rate | null; note: string }) {
  const { rate } = props;
  return (
    <div className="kpi kpi--rate" title={rate ? rateTooltip(rate, props.note) : undefined} data-testid={`${props.testId}-tile`}>
      <span className="kpi__value" data-testid={props.testId} data-value={rate?.value ?? ''}>
        {formatRate(rate)}
      </span>
      <span className="kpi__label">
        {props.label}
        {rate && <span className="kpi__formula">{rate.formula}</span>}
        {/* a wall has no hover: why there is no figure is said on the tile, read from metres away */}
        {rate && !rate.sufficient && (
          <span className="kpi__note" data-testid={`${props.testId}-note`}>
            {props.note} · {rate.numerator}/{rate.denominator}
          </span>
        )}
      </span>
      {rate && rate.value !== null && rate.sufficient && (
        <span className="kpi__bar" aria-hidden="true">
          <span style={{ width: `${Math.max(0, Math.min(100, rate.value * 100))}%` }} />
        </span>
      )}
    </div>
  );
}, (a, b) => a.testId === b.testId && a.label === b.label && a.note === b.note && sameRate(a.rate, b.rate));
