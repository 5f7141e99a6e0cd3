/**
 * 人工受理: a phone call entered at the command center. The category comes
 * from the taxonomy (searchable by name, English name or code), the place from
 * an address and/or a point picked on the map (WGS84) or typed with its
 * coordinate system (GCJ-02 from AMap, BD-09 from Baidu are sent as they are
 * and converted by the data center). Validation names the field: each problem
 * appears under its field and the focus goes to the first one.
 */
import { ScatterplotLayer } from '@deck.gl/layers';
import { useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { CoordSystem, Urgency } from '../../../core/events/types';
import type { LonLat } from '../../../core/geo/types';
import { Combobox } from '../../components/Combobox';
import { Dialog } from '../../components/Dialog';
import { useI18n } from '../../i18n';
import { DistrictMap, type MapPick } from '../../map/DistrictMap';
import { categoryOptions, useDomain } from '../domain';
import { useMapModel } from '../map-data';
import { useOutbox } from '../outbox';
import { EMPTY_INTAKE, validateIntake, type IntakeFieldError, type IntakeValues } from './intake-form';

const URGENCIES: Urgency[] = ['normal', 'urgent', 'critical'];
const SYSTEMS: CoordSystem[] = ['wgs84', 'gcj02', 'bd09', 'cgcs2000'];

export function IntakeDialog(props: { onClose: () => void; returnFocus?: () => HTMLElement | null; showMap?: boolean }) {
  const { t, locale } = useI18n();
  const w = t.workstation;
  const i = w.intake;
  const domain = useDomain();
  const outbox = useOutbox();
  const [values, setValues] = useState<IntakeValues>(EMPTY_INTAKE);
  const [errors, setErrors] = useState<IntakeFieldError[]>([]);
  const [picking, setPicking] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const titleRef = useRef<HTMLInputElement>(null);
  const cats = useMemo(() => categoryOptions(domain.cfg, locale === 'en'), [domain.cfg, locale]);

  const set = <K extends keyof IntakeValues>(k: K, v: IntakeValues[K]) => {
    setValues((old) => ({ ...old, [k]: v }));
    if (errors.length) setErrors((es) => es.filter((e) => e.field !== k && !(e.code === 'need_place' && (k === 'lon' || k === 'lat'))));
  };
  const errorOf = (field: keyof IntakeValues) => errors.find((e) => e.field === field);
  const message = (e: IntakeFieldError) => (e.code === 'too_long' ? i.errors.too_long(e.max ?? 0) : i.errors[e.code]);

  const submit = (ev?: FormEvent) => {
    ev?.preventDefault();
    const result = validateIntake(values, domain.cfg ? (c) => domain.cfg!.taxonomy.byCode.has(c) : undefined);
    if (!result.ok) {
      setErrors(result.errors);
      // after the errors render: focus the first invalid field
      queueMicrotask(() => formRef.current?.querySelector<HTMLElement>(`[data-field="${result.errors[0]!.field}"] input, [data-field="${result.errors[0]!.field}"] textarea`)?.focus());
      return;
    }
    void outbox.submit({ name: 'event/intake', event: { ...result.payload } }, { label: w.queueRail.newIntake, caseNo: result.payload.title });
    props.onClose();
  };

  const onPick = (pick: MapPick | null) => {
    if (!pick?.coordinate) return;
    setValues((old) => ({ ...old, lon: pick.coordinate![0].toFixed(6), lat: pick.coordinate![1].toFixed(6), coordSystem: 'wgs84' }));
    setErrors((es) => es.filter((e) => e.field !== 'lon' && e.field !== 'lat' && e.code !== 'need_place'));
  };

  const field = (name: keyof IntakeValues, label: string, control: ReactNode, required = false) => {
    const err = errorOf(name);
    return (
      <div className={`field${err ? ' field--invalid' : ''}`} data-field={name}>
        <span className="field__label">
          {label}
          {required && <span className="field__required">*</span>}
        </span>
        {control}
        {err && (
          <span className="field__error" role="alert" data-testid={`error-${name}`}>
            {message(err)}
          </span>
        )}
      </div>
    );
  };

  return (
    <Dialog title={i.title} onClose={props.onClose} closeLabel={w.dialog.close} initialFocus={titleRef} returnFocus={props.returnFocus} testId="intake-dialog" size="large" onSubmitShortcut={submit}>
      <form ref={formRef} className="form form--intake" onSubmit={submit} noValidate data-testid="intake-form">
        {errors.length > 0 && (
          <p className="preview preview--refused" role="alert" data-testid="intake-errors">
            {i.fieldErrorsTitle(errors.length)}
          </p>
        )}
        <div className="form-grid">
          <div className="form-grid__main">
            {field('title', i.titleField, <input ref={titleRef} className="input" value={values.title} onChange={(e) => set('title', e.target.value)} aria-invalid={!!errorOf('title') || undefined} data-testid="intake-title" />, true)}
            {field(
              'categoryCode',
              i.category,
              <Combobox label={i.category} testId="intake-category" options={cats} value={values.categoryCode} onChange={(c) => set('categoryCode', c)} placeholder={i.categorySearch} emptyText={w.filters.noMatch} invalid={!!errorOf('categoryCode')} />,
              true,
            )}
            {field(
              'urgency',
              i.urgency,
              <div className="segmented-inline" role="radiogroup" aria-label={i.urgency}>
                {URGENCIES.map((u) => (
                  <label key={u} className="radio-row">
                    <input type="radio" name="urgency" checked={values.urgency === u} onChange={() => set('urgency', u)} /> {w.urgencies[u]}
                  </label>
                ))}
              </div>,
            )}
            {field('description', i.description, <textarea className="input" rows={3} value={values.description} onChange={(e) => set('description', e.target.value)} data-testid="intake-description" />)}
            {field('address', i.address, <input className="input" value={values.address} onChange={(e) => set('address', e.target.value)} aria-invalid={!!errorOf('address') || undefined} data-testid="intake-address" />)}
            <div className="field-row">
              {field('lon', i.lon, <input className="input mono" inputMode="decimal" value={values.lon} onChange={(e) => set('lon', e.target.value)} aria-invalid={!!errorOf('lon') || undefined} data-testid="intake-lon" />)}
              {field('lat', i.lat, <input className="input mono" inputMode="decimal" value={values.lat} onChange={(e) => set('lat', e.target.value)} aria-invalid={!!errorOf('lat') || undefined} data-testid="intake-lat" />)}
              {field(
                'coordSystem',
                i.coordSystem,
                <select className="input" value={values.coordSystem} onChange={(e) => set('coordSystem', e.target.value as CoordSystem)} data-testid="intake-coord-system">
                  {SYSTEMS.map((s) => (
                    <option key={s} value={s}>
                      {i.coordSystems[s]}
                    </option>
                  ))}
                </select>,
              )}
            </div>
            {values.coordSystem !== 'wgs84' && <p className="muted small">{i.coordNote}</p>}
            <fieldset className="fieldset">
              <legend>{i.caller}</legend>
              <div className="field-row">
                {field('callerName', i.callerName, <input className="input" value={values.callerName} onChange={(e) => set('callerName', e.target.value)} data-testid="intake-caller-name" />)}
                {field('callerPhone', i.callerPhone, <input className="input mono" type="tel" value={values.callerPhone} onChange={(e) => set('callerPhone', e.target.value)} aria-invalid={!!errorOf('callerPhone') || undefined} data-testid="intake-caller-phone" />)}
                {field('callerOrg', i.callerOrg, <input className="input" value={values.callerOrg} onChange={(e) => set('callerOrg', e.target.value)} />)}
              </div>
            </fieldset>
            <label className="check">
              <input type="checkbox" checked={values.file} onChange={(e) => set('file', e.target.checked)} data-testid="intake-file" /> {i.fileNow}
            </label>
          </div>
          <div className="form-grid__side">
            <button type="button" className="button button--ghost" aria-pressed={picking} onClick={() => setPicking((p) => !p)} data-testid="intake-pick-toggle">
              {i.pickOnMap}
            </button>
            {picking && props.showMap !== false && <PickMap point={values.lon && values.lat && values.coordSystem === 'wgs84' ? [Number(values.lon), Number(values.lat)] : null} onPick={onPick} />}
            {values.lon && values.lat && (
              <p className="small" data-testid="intake-picked">
                {i.picked}：<span className="mono">{values.lon}, {values.lat}</span> ({values.coordSystem.toUpperCase()}){' '}
                <button
                  type="button"
                  className="link-button"
                  onClick={() => {
                    set('lon', '');
                    set('lat', '');
                  }}
                >
                  {i.clearPoint}
                </button>
              </p>
            )}
          </div>
        </div>
        <footer className="dialog__footer">
          <span className="dialog__hint">{w.dialog.submitHint}</span>
          <button type="button" className="button" onClick={props.onClose}>
            {w.dialog.cancel}
          </button>
          <button type="submit" className="button button--primary" data-testid="intake-submit">
            {i.submit}
          </button>
        </footer>
      </form>
    </Dialog>
  );
}

function PickMap({ point, onPick }: { point: LonLat | null; onPick: (p: MapPick | null) => void }) {
  const { t } = useI18n();
  const { model } = useMapModel();
  const top = useMemo(
    () =>
      point && Number.isFinite(point[0]) && Number.isFinite(point[1])
        ? [
            new ScatterplotLayer<LonLat>({
              id: 'intake-point',
              data: [point],
              getPosition: (d) => d,
              getRadius: 8,
              radiusUnits: 'pixels',
              getFillColor: [255, 214, 92, 230],
              getLineColor: [6, 11, 22, 255],
              lineWidthMinPixels: 2,
              stroked: true,
            }),
          ]
        : [],
    [point],
  );
  if (!model) return <div className="pick-map pick-map--loading">{t.status.loadingMap}</div>;
  return (
    <div className="pick-map" data-testid="pick-map">
      <DistrictMap model={model} selectedTownCode={null} scale={0.9} padding={16} onHover={() => {}} onPick={onPick} topLayers={top} ariaLabel={t.workstation.intake.pickOnMap} />
    </div>
  );
}
