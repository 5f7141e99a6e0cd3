/**
 * Layer switches: the base and live layers, then one group per module with
 * the number of features it holds. Workstations can switch the same layers
 * remotely (directives); this is for the person at the wall, so it stays
 * folded to one line until opened.
 */
import { memo, useState, type CSSProperties } from 'react';
import type { ModuleId, WallLayerKey } from '../../core/rpc/wall';
import { useI18n } from '../i18n';
import { MODULE_STYLE } from './wall-layers';
import { BASE_LAYERS, MODULE_LAYERS, type LayerVisibility } from './wall-state';

/** memoised: the map re-renders at every patch of the store, the switches only when their own props change */
export const LayerPanel = memo(function LayerPanel(props: { layers: LayerVisibility; moduleCounts: ReadonlyMap<ModuleId, number>; onToggle: (k: WallLayerKey) => void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const label = (k: WallLayerKey) => (k in t.wall.modules ? t.wall.modules[k as ModuleId] : t.wall.layers[k as keyof typeof t.wall.layers]);
  const on = Object.values(props.layers).filter(Boolean).length;
  return (
    <div className={`layers ${open ? 'layers--open' : ''}`} data-testid="layer-panel" data-open={open}>
      <button type="button" className="layers__fold" data-testid="layer-panel-fold" aria-expanded={open} onClick={() => setOpen(!open)}>
        {t.wall.layers.title}
        <span className="layers__count">{on}</span>
        <span aria-hidden="true">{open ? '▴' : '▾'}</span>
      </button>
      {open && <LayerGroups {...props} label={label} />}
    </div>
  );
});

function LayerGroups(props: { layers: LayerVisibility; moduleCounts: ReadonlyMap<ModuleId, number>; onToggle: (k: WallLayerKey) => void; label: (k: WallLayerKey) => string }) {
  const { t } = useI18n();
  const { label } = props;
  return (
    <>
      <div className="layers__head">{t.wall.layers.title}</div>
      <div className="layers__group">
        {BASE_LAYERS.map((k) => (
          <Toggle key={k} k={k} label={label(k)} on={props.layers[k]} onToggle={props.onToggle} />
        ))}
      </div>
      <div className="layers__head">{t.wall.layers.modules}</div>
      <div className="layers__group">
        {MODULE_LAYERS.map((k) => {
          const m = k as ModuleId;
          const [r, g, b] = MODULE_STYLE[m].color;
          return (
            <Toggle key={k} k={k} label={label(k)} on={props.layers[k]} onToggle={props.onToggle} color={`rgb(${r} ${g} ${b})`} glyph={MODULE_STYLE[m].glyph} count={props.moduleCounts.get(m) ?? 0} />
          );
        })}
      </div>
    </>
  );
}

function Toggle(props: { k: WallLayerKey; label: string; on: boolean; onToggle: (k: WallLayerKey) => void; color?: string; glyph?: string; count?: number }) {
  return (
    <button
      type="button"
      className="layer-toggle"
      data-testid="layer-toggle"
      data-key={props.k}
      aria-pressed={props.on}
      onClick={() => props.onToggle(props.k)}
      style={props.color ? ({ '--module': props.color } as CSSProperties) : undefined}
    >
      {props.glyph ? <span className="layer-toggle__glyph">{props.glyph}</span> : <span className="layer-toggle__check" aria-hidden="true" />}
      <span className="layer-toggle__label">{props.label}</span>
      {props.count !== undefined && <span className="layer-toggle__count">{props.count}</span>}
    </button>
  );
}
