/**
 * Search, order and filters above the queue. Text search is debounced (the
 * list asks again 250 ms after the last key); every other choice applies at
 * once. The filter panel folds away so the table keeps its height.
 */
import { useEffect, useMemo, useRef, useState, type Ref } from 'react';
import type { EventSource, Urgency } from '../../core/events/types';
import type { EventSort } from '../../core/rpc/queries';
import { EventSource as EventSourceSchema } from '../../core/events/types';
import { EventStatus } from '../../core/workflow/states';
import { Combobox } from '../components/Combobox';
import { Kbd } from '../components/Badge';
import { useI18n } from '../i18n';
import { unitOptions } from './actions/command-form';
import { categoryOptions, useDomain } from './domain';
import { activeFilterCount, EMPTY_FILTERS, PERIODS, type ClockFilter, type FilterState, type Period } from './filters';
import { useMapModel } from './map-data';

const SORTS: EventSort[] = ['deadline', 'reported_desc', 'updated_desc', 'urgency'];
const URGENCIES: Urgency[] = ['critical', 'urgent', 'normal'];
const CLOCKS: ClockFilter[] = ['overdue', 'warning', 'running'];

export function FilterBar(props: {
  filters: FilterState;
  onFilters: (f: FilterState) => void;
  sort: EventSort;
  onSort: (s: EventSort) => void;
  total: number | null;
  onSaveView: () => void;
  onLeave: () => void;
  searchRef?: Ref<HTMLInputElement>;
}) {
  const { t, locale, formatNumber } = useI18n();
  const w = t.workstation;
  const f = props.filters;
  const domain = useDomain();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState(f.text);
  const onFilters = useRef(props.onFilters);
  onFilters.current = props.onFilters;
  const latest = useRef(f);
  latest.current = f;

  // a saved view or a cleared filter replaces the text
  useEffect(() => setText(f.text), [f.text]);
  useEffect(() => {
    if (text === latest.current.text) return;
    const timer = setTimeout(() => onFilters.current({ ...latest.current, text }), 250);
    return () => clearTimeout(timer);
  }, [text]);

  const set = <K extends keyof FilterState>(k: K, v: FilterState[K]) => props.onFilters({ ...f, [k]: v });
  const toggle = <T extends string>(list: readonly T[], v: T): T[] => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  const n = activeFilterCount(f);

  return (
    <div className="filter-bar" data-testid="filter-bar">
      <div className="filter-bar__row">
        <label className="search">
          <span className="visually-hidden">{w.filters.searchLabel}</span>
          <input
            ref={props.searchRef}
            className="input search__input"
            type="search"
            placeholder={w.filters.search}
            value={text}
            data-testid="search"
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                e.preventDefault();
                if (text) setText('');
                else props.onLeave();
              } else if (e.key === 'Enter' || e.key === 'ArrowDown') {
                e.preventDefault();
                if (text !== f.text) props.onFilters({ ...f, text });
                props.onLeave();
              }
            }}
          />
          <Kbd>/</Kbd>
        </label>
        <button type="button" className="button button--ghost" aria-expanded={open} onClick={() => setOpen((o) => !o)} data-testid="filter-toggle">
          {w.filters.toggle}
          {n > 0 && <span className="count-pill">{n}</span>}
        </button>
        {n > 0 && (
          <button type="button" className="button button--ghost" onClick={() => props.onFilters({ ...EMPTY_FILTERS, text: f.text })} data-testid="filter-clear">
            {w.filters.clear}
          </button>
        )}
        <label className="sort">
          <span className="muted">{w.sort.label}</span>
          <select className="input input--compact" value={props.sort} onChange={(e) => props.onSort(e.target.value as EventSort)} data-testid="sort">
            {SORTS.map((s) => (
              <option key={s} value={s}>
                {w.sort[s]}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="button button--ghost" onClick={props.onSaveView} data-testid="save-view">
          {w.filters.saveView}
        </button>
        <span className="filter-bar__total" data-testid="queue-total">
          {props.total === null ? '' : w.table.total(formatNumber(props.total))}
        </span>
      </div>
      {open && <FilterPanel f={f} set={set} toggle={toggle} en={locale === 'en'} domainUnits={domain.units} />}
    </div>
  );
}

function FilterPanel(props: {
  f: FilterState;
  set: <K extends keyof FilterState>(k: K, v: FilterState[K]) => void;
  toggle: <T extends string>(list: readonly T[], v: T) => T[];
  en: boolean;
  domainUnits: ReturnType<typeof useDomain>['units'];
}) {
  const { f, set, toggle } = props;
  const { t } = useI18n();
  const w = t.workstation;
  const domain = useDomain();
  const { model } = useMapModel();
  const cats = useMemo(() => categoryOptions(domain.cfg, props.en), [domain.cfg, props.en]);
  const units = useMemo(() => unitOptions(props.domainUnits, w), [props.domainUnits, w]);
  // the option lists keep their identity between renders: each picker matches its options again
  // whenever the list is a new array, and a chip click must not redo that for 1,400 grids
  const towns = useMemo(() => domain.towns.map((x) => ({ value: x.code, label: x.name, hint: x.code })), [domain.towns]);
  const villages = useMemo(
    () =>
      [...domain.areaByCode.values()]
        .filter((a) => a.level === 'village' && (f.townCodes.length === 0 || (a.parentCode !== null && f.townCodes.includes(a.parentCode))))
        .map((a) => ({ value: a.code, label: a.name, hint: domain.areaByCode.get(a.parentCode ?? '')?.name ?? '' })),
    [domain.areaByCode, f.townCodes],
  );
  const grids = useMemo(
    () =>
      (model?.grids ?? [])
        .filter((g) => (f.villageCodes.length ? f.villageCodes.includes(g.villageCode) : f.townCodes.length ? f.townCodes.includes(g.townCode) : true))
        .slice(0, 2000)
        .map((g) => ({ value: g.code, label: `${domain.areaByCode.get(g.villageCode)?.name ?? ''} ${g.name}`, hint: g.code })),
    [model, domain.areaByCode, f.villageCodes, f.townCodes],
  );

  return (
    <div className="filter-panel" data-testid="filter-panel">
      <fieldset className="filter-group filter-group--wide">
        <legend>{w.filters.state}</legend>
        {EventStatus.options.map((s) => (
          <label key={s} className="check check--chip">
            <input type="checkbox" checked={f.statuses.includes(s)} onChange={() => set('statuses', toggle(f.statuses, s))} data-testid={`filter-status-${s}`} />
            {w.statuses[s]}
          </label>
        ))}
      </fieldset>
      <div className="filter-group">
        <span className="field__label">{w.filters.category}</span>
        <Combobox multiple label={w.filters.category} options={cats} value={f.categoryCodes} onChange={(v) => set('categoryCodes', v)} emptyText={w.filters.noMatch} placeholder={w.filters.pick} testId="filter-category" />
      </div>
      <div className="filter-group">
        <span className="field__label">{w.filters.town}</span>
        <Combobox multiple label={w.filters.town} options={towns} value={f.townCodes} onChange={(v) => set('townCodes', v)} emptyText={w.filters.noMatch} placeholder={w.filters.pick} testId="filter-town" />
      </div>
      <div className="filter-group">
        <span className="field__label">{w.filters.village}</span>
        <Combobox multiple label={w.filters.village} options={villages} value={f.villageCodes} onChange={(v) => set('villageCodes', v)} emptyText={w.filters.noMatch} placeholder={w.filters.pick} />
      </div>
      <div className="filter-group">
        <span className="field__label">{w.filters.grid}</span>
        <Combobox multiple label={w.filters.grid} options={grids} value={f.gridCodes} onChange={(v) => set('gridCodes', v)} emptyText={w.filters.noMatch} placeholder={w.filters.pick} />
      </div>
      <div className="filter-group">
        <span className="field__label">{w.filters.unit}</span>
        <Combobox multiple label={w.filters.unit} options={units} value={f.unitIds} onChange={(v) => set('unitIds', v)} emptyText={w.filters.noMatch} placeholder={w.filters.pick} testId="filter-unit" />
      </div>
      <fieldset className="filter-group">
        <legend>{w.filters.source}</legend>
        {EventSourceSchema.options.map((s: EventSource) => (
          <label key={s} className="check check--chip">
            <input type="checkbox" checked={f.sources.includes(s)} onChange={() => set('sources', toggle(f.sources, s))} />
            {w.sources[s]}
          </label>
        ))}
      </fieldset>
      <fieldset className="filter-group">
        <legend>{w.filters.urgency}</legend>
        {URGENCIES.map((u) => (
          <label key={u} className="check check--chip">
            <input type="checkbox" checked={f.urgencies.includes(u)} onChange={() => set('urgencies', toggle(f.urgencies, u))} data-testid={`filter-urgency-${u}`} />
            {w.urgencies[u]}
          </label>
        ))}
      </fieldset>
      <fieldset className="filter-group">
        <legend>{w.filters.clock}</legend>
        {CLOCKS.map((c) => (
          <label key={c} className="check check--chip">
            <input type="checkbox" checked={f.clockStatuses.includes(c)} onChange={() => set('clockStatuses', toggle(f.clockStatuses, c))} />
            {w.clock[c]}
          </label>
        ))}
      </fieldset>
      <fieldset className="filter-group">
        <legend>{w.filters.period}</legend>
        <select className="input input--compact" value={f.period} onChange={(e) => set('period', e.target.value as Period)} data-testid="filter-period">
          {PERIODS.map((p) => (
            <option key={p} value={p}>
              {w.filters.periods[p]}
            </option>
          ))}
        </select>
        <label className="check">
          <input type="checkbox" checked={f.supervised} onChange={(e) => set('supervised', e.target.checked)} /> {w.filters.supervised}
        </label>
        <label className="check">
          <input type="checkbox" checked={f.openOnly} onChange={(e) => set('openOnly', e.target.checked)} /> {w.filters.openOnly}
        </label>
      </fieldset>
    </div>
  );
}
