/**
 * 工作台: where duty officers take in, dispatch, supervise and close every
 * event. Queues with live counts on the left, the chosen queue as a
 * virtualized table in the middle, the selected event on the right; every
 * action through the outbox. Keyboard first: a key for each frequent action
 * (shortcuts.ts), Ctrl+K for everything, `?` for the list; the focus returns
 * to the table after every dialog and survives live refreshes.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { QueueCounts, QueueId, EventSort, EventRow, EventDetail } from '../../core/rpc/queries';
import type { SavedView } from '../../core/rpc/workstation';
import { CommandPalette, type PaletteCommand } from '../components/CommandPalette';
import { Dialog } from '../components/Dialog';
import { useHotkeys, type Hotkey } from '../components/hotkeys';
import { ShortcutHelp } from '../components/ShortcutHelp';
import { useToasts } from '../components/Toasts';
import { useI18n } from '../i18n';
import { useRpc } from '../rpc/rpc-context';
import { browserStore } from '../shell/preferences';
import { ACTIONS, availableActions, type ActionSpec } from './actions/catalogue';
import { CommandDialog } from './actions/CommandDialog';
import { DispatchDialog } from './actions/DispatchDialog';
import { EventDetailPanel } from './detail/EventDetailPanel';
import { useEventDetail } from './detail/use-event-detail';
import { useDomain } from './domain';
import { EventTable, type EventTableHandle } from './EventTable';
import { FilterBar } from './FilterBar';
import { EMPTY_FILTERS, fromSavedView, toEventFilter, toSavedView, type FilterState } from './filters';
import { IntakeDialog } from './intake/IntakeDialog';
import { useArrivalAlerts } from './notify';
import { useOutbox } from './outbox';
import { QueueRail } from './QueueRail';
import { QUEUES } from './queues';
import { useSession } from './session';
import { KEYS, shortcutGroups } from './shortcuts';
import { currentTime } from './time';
import { newId, useWall } from './wall/use-wall';
import { WallPanel } from './wall/WallPanel';
import './workstation.css';

type Overlay =
  | { kind: 'action'; spec: ActionSpec; detail: EventDetail }
  | { kind: 'dispatch'; detail: EventDetail }
  | { kind: 'intake' }
  | { kind: 'palette' }
  | { kind: 'help' }
  | { kind: 'save-view' }
  | null;

const VIEW_KEY = 'huying.workstation.view';
const SOUND_KEY = 'huying.workstation.sound';

interface StoredView {
  queue: QueueId;
  sort: EventSort;
  filters: FilterState;
}

function loadView(): StoredView {
  try {
    const raw = browserStore()?.getItem(VIEW_KEY);
    if (raw) {
      const v = JSON.parse(raw) as Partial<StoredView>;
      if (v.queue && QUEUES.some((q) => q.id === v.queue)) return { queue: v.queue, sort: v.sort ?? 'deadline', filters: { ...EMPTY_FILTERS, ...v.filters } };
    }
  } catch {
    // a broken stored view: start from the default
  }
  return { queue: 'to_dispatch', sort: 'deadline', filters: EMPTY_FILTERS };
}

export interface WorkstationViewProps {
  /** draw the maps (tests without WebGL turn them off) */
  showMaps?: boolean;
}

export function WorkstationView(props: WorkstationViewProps) {
  const rpc = useRpc();
  const { t } = useI18n();
  const w = t.workstation;
  const domain = useDomain();
  const session = useSession();
  const outbox = useOutbox();
  const toasts = useToasts();
  const wall = useWall();
  const actor = session.actor;

  const initial = useMemo(loadView, []);
  const [queue, setQueue] = useState<QueueId>(initial.queue);
  const [sort, setSort] = useState<EventSort>(initial.sort);
  const [filters, setFilters] = useState<FilterState>(initial.filters);
  const [activeViewId, setActiveViewId] = useState<string | null>(null);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [changeTick, setChangeTick] = useState(0);
  const [detailTick, setDetailTick] = useState(0);
  const [counts, setCounts] = useState<QueueCounts['counts'] | null>(null);
  const [total, setTotal] = useState<number | null>(null);
  const [views, setViews] = useState<SavedView[]>([]);
  const [overlay, setOverlay] = useState<Overlay>(null);
  const [sound, setSound] = useState(() => browserStore()?.getItem(SOUND_KEY) !== 'off');

  const tableRef = useRef<EventTableHandle>(null);
  const detailRef = useRef<HTMLElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const selectedRef = useRef(selectedId);
  selectedRef.current = selectedId;

  useEffect(() => {
    try {
      browserStore()?.setItem(VIEW_KEY, JSON.stringify({ queue, sort, filters }));
    } catch {
      // not remembered
    }
  }, [queue, sort, filters]);

  // ── live data ──
  useEffect(() => {
    let pending: { ids: Set<string>; all: boolean } | null = null;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const flush = () => {
      timer = null;
      const p = pending!;
      pending = null;
      setChangeTick((x) => x + 1);
      if (p.all || (selectedRef.current && p.ids.has(selectedRef.current))) setDetailTick((x) => x + 1);
    };
    const off = rpc.subscribe('events/changed', (c) => {
      pending ??= { ids: new Set(), all: false };
      c.ids.forEach((id) => pending!.ids.add(id));
      pending.all ||= c.all;
      // many batches a second are folded into one refresh
      timer ??= setTimeout(flush, 200);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [rpc]);

  useEffect(() => {
    let live = true;
    rpc.invoke('events/counts').then(
      (c) => live && setCounts(c.counts),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [rpc, changeTick]);

  useEffect(() => {
    let live = true;
    rpc.invoke('saved-views/list').then(
      (v) => live && setViews(v.views),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [rpc, session.user?.id]);

  const arrivals = useArrivalAlerts({
    rpc,
    changeTick,
    sound,
    enabled: session.user !== null,
    texts: { urgent: w.notify.urgentTitle, overdue: w.notify.overdueTitle },
  });

  const detailState = useEventDetail(selectedId, detailTick);
  const detail = detailState.status === 'ok' ? detailState.detail : null;
  const now = currentTime();
  const actions = useMemo(
    () => (detail ? availableActions(detail.event.workflow, actor, { ctx: domain.cfg, now, mergeTarget: detail.duplicates[0]?.id ?? null }) : []),
    // `now` moves every render; actions are judged again when the event or the officer changes
    [detail, actor, domain.cfg],
  );

  const filter = useMemo(() => toEventFilter(queue, filters, new Date()), [queue, filters]);

  // ── focus ──
  const focusTable = useCallback(() => tableRef.current?.focus(), []);
  const tableElement = useCallback(() => tableRef.current?.element() ?? null, []);
  useEffect(() => {
    // the table takes the keyboard when the view opens
    const id = setTimeout(focusTable, 0);
    return () => clearTimeout(id);
  }, [focusTable]);

  // ── commands ──
  const runAction = useCallback(
    (spec: ActionSpec, d: EventDetail | null = detail) => {
      if (!d || !actions.some((a) => a.type === spec.type)) return;
      setOverlay(spec.form === 'dispatch' ? { kind: 'dispatch', detail: d } : { kind: 'action', spec, detail: d });
    },
    [detail, actions],
  );

  const pushEventToWall = useCallback(
    (d: EventDetail) => wall.push({ kind: 'event', eventId: d.event.id }, w.wall.pushEvent, d.event.caseNo),
    [wall, w],
  );
  /** the detail's 上大屏 buttons: the event, or the town it is in */
  const pushDetailToWall = useCallback(
    (d: EventDetail, what: 'event' | 'town') => {
      const town = d.event.workflow.area.townCode;
      if (what === 'event') pushEventToWall(d);
      else if (town) wall.push({ kind: 'town', code: town }, w.wall.pushTown, d.event.caseNo);
    },
    [pushEventToWall, wall, w],
  );

  const openQueue = useCallback((q: QueueId) => {
    setQueue(q);
    setActiveViewId(null);
  }, []);

  const openView = useCallback((v: SavedView) => {
    const s = fromSavedView(v);
    setQueue(s.queue);
    setSort(s.sort);
    setFilters(s.filters);
    setActiveViewId(v.id);
  }, []);

  const saveView = useCallback(
    async (name: string) => {
      try {
        const answer = await rpc.invoke('saved-views/save', { view: toSavedView(activeViewId ?? newId(), name, { queue, filters, sort }) });
        setViews(answer.views);
        const saved = answer.views.find((v) => v.name === name);
        if (saved) setActiveViewId(saved.id);
        toasts.show({ tone: 'ok', title: w.filters.saved(name) });
      } catch (err) {
        toasts.show({ tone: 'bad', title: t.errors[(err as { code?: keyof typeof t.errors }).code ?? 'internal'] ?? t.errors.internal, sticky: true });
      }
    },
    [rpc, activeViewId, queue, filters, sort, toasts, w, t],
  );

  const deleteView = useCallback(
    async (v: SavedView) => {
      try {
        const answer = await rpc.invoke('saved-views/delete', { id: v.id });
        setViews(answer.views);
        if (activeViewId === v.id) setActiveViewId(null);
      } catch {
        // the list stays as it was
      }
    },
    [rpc, activeViewId],
  );

  const toggleSound = useCallback(() => {
    setSound((s) => {
      const next = !s;
      try {
        browserStore()?.setItem(SOUND_KEY, next ? 'on' : 'off');
      } catch {
        // not remembered
      }
      toasts.show({ tone: 'info', title: next ? w.notify.soundOn : w.notify.soundOff });
      return next;
    });
  }, [toasts, w]);

  const canAct = actor !== null && actor.role !== 'wall_viewer';
  const canIntake = actor !== null && ['admin', 'duty_officer', 'intake_agent'].includes(actor.role);

  // ── keyboard ──
  const hotkeys: Hotkey[] = [
    { combo: KEYS.palette, run: () => setOverlay({ kind: 'palette' }), inInputs: true },
    { combo: KEYS.help, run: () => setOverlay({ kind: 'help' }) },
    { combo: KEYS.search, run: () => searchRef.current?.focus() },
    { combo: KEYS.intake, run: () => canIntake && setOverlay({ kind: 'intake' }) },
    { combo: KEYS.saveView, run: () => setOverlay({ kind: 'save-view' }), inInputs: true },
    { combo: KEYS.next, run: () => tableRef.current?.move(1) },
    { combo: KEYS.prev, run: () => tableRef.current?.move(-1) },
    { combo: KEYS.pushWall, run: () => detail && canAct && pushEventToWall(detail) },
    { combo: KEYS.ackAlert, run: () => wall.open[0] && canAct && wall.ack(wall.open[0], w.wall.ack) },
    { combo: KEYS.mute, run: toggleSound },
    { combo: KEYS.back, run: () => focusTable() },
    ...QUEUES.map((q) => ({ combo: q.key, run: () => openQueue(q.id) })),
    ...ACTIONS.filter((a) => a.key).map((a) => ({ combo: a.key!, run: () => runAction(a) })),
  ];
  useHotkeys(hotkeys);

  const paletteCommands = useMemo<PaletteCommand[]>(() => {
    const g = w.palette.groups;
    const out: PaletteCommand[] = [];
    for (const a of actions) {
      out.push({ id: `action:${a.type}`, group: g.actions, label: a.type === 'dispatch' && detail?.event.workflow.status === 'bounced' ? w.redispatch : w.commands[a.type], keywords: a.type, ...(a.key ? { shortcut: a.key } : {}), run: () => runAction(a) });
    }
    if (detail && canAct) out.push({ id: 'wall:event', group: g.wall, label: w.wall.pushEvent, shortcut: KEYS.pushWall, keywords: 'wall', run: () => pushEventToWall(detail) });
    if (detail?.event.workflow.area.townCode && canAct) {
      const town = detail.event.workflow.area.townCode;
      out.push({ id: 'wall:town', group: g.wall, label: `${w.wall.pushTown} · ${domain.areaByCode.get(town)?.name ?? town}`, keywords: 'wall town', run: () => wall.push({ kind: 'town', code: town }, w.wall.pushTown) });
    }
    if (canAct) out.push({ id: 'wall:district', group: g.wall, label: w.wall.pushDistrict, keywords: 'wall district', run: () => wall.push({ kind: 'district' }, w.wall.pushDistrict) });
    if (wall.open[0] && canAct) out.push({ id: 'wall:ack', group: g.wall, label: `${w.wall.ack} · ${wall.open[0].title}`, shortcut: KEYS.ackAlert, keywords: 'ack alert', run: () => wall.ack(wall.open[0]!, w.wall.ack) });
    for (const q of QUEUES) out.push({ id: `queue:${q.id}`, group: g.queues, label: w.queues[q.id], shortcut: q.key, keywords: q.id, run: () => openQueue(q.id) });
    for (const v of views) out.push({ id: `view:${v.id}`, group: g.views, label: v.name, keywords: 'view', run: () => openView(v) });
    if (canIntake) out.push({ id: 'general:intake', group: g.general, label: w.shortcuts.intake, shortcut: KEYS.intake, keywords: 'intake call phone', run: () => setOverlay({ kind: 'intake' }) });
    out.push({ id: 'general:save-view', group: g.general, label: w.shortcuts.saveView, shortcut: KEYS.saveView, keywords: 'save view', run: () => setOverlay({ kind: 'save-view' }) });
    out.push({ id: 'general:search', group: g.general, label: w.shortcuts.search, shortcut: KEYS.search, keywords: 'search', run: () => searchRef.current?.focus() });
    out.push({ id: 'general:help', group: g.general, label: w.shortcuts.help, shortcut: KEYS.help, keywords: 'help keys', run: () => setOverlay({ kind: 'help' }) });
    out.push({ id: 'general:mute', group: g.general, label: w.shortcuts.mute, shortcut: KEYS.mute, keywords: 'sound', run: toggleSound });
    return out;
  }, [actions, detail, w, views, runAction, pushEventToWall, wall, canAct, canIntake, domain.areaByCode, openQueue, openView, toggleSound]);

  const onSelect = useCallback((row: EventRow) => setSelectedId(row.id), []);
  const onOpen = useCallback((row: EventRow) => {
    setSelectedId(row.id);
    setTimeout(() => detailRef.current?.focus({ preventScroll: true }), 0);
  }, []);
  const close = useCallback(() => setOverlay(null), []);
  // stable, so the detail panel (memoized: its map and timeline) does not render again on every queue switch
  const detailRefForMerge = useRef(detail);
  detailRefForMerge.current = detail;
  const onDetailAction = useCallback((a: ActionSpec) => runAction(a), [runAction]);
  const onMerge = useCallback((intoId: string) => {
    const d = detailRefForMerge.current;
    if (d) setOverlay({ kind: 'action', spec: ACTIONS.find((a) => a.type === 'merge')!, detail: { ...d, duplicates: [...d.duplicates].sort((a) => (a.id === intoId ? -1 : 1)) } });
  }, []);
  const onRetryDetail = useCallback(() => setDetailTick((x) => x + 1), []);

  return (
    <div
      className="workstation"
      data-testid="workstation"
      data-queue={queue}
      data-selected={selectedId ?? ''}
      data-arrivals={arrivals.ready ? 'watching' : 'waiting'}
      data-last-arrival={arrivals.last ? `${arrivals.last.kind}:${arrivals.last.ids.join(',')}` : ''}
      data-last-arrival-sound={arrivals.last ? String(arrivals.last.sound) : ''}
    >
      <aside className="workstation__rail">
        <QueueRail
          queue={queue}
          counts={counts}
          onQueue={openQueue}
          views={views}
          activeViewId={activeViewId}
          onView={openView}
          onDeleteView={(v) => void deleteView(v)}
          onIntake={canIntake ? () => setOverlay({ kind: 'intake' }) : null}
        />
        <WallPanel wall={wall} canAct={canAct} onOpenEvent={setSelectedId} />
        <OutboxSummary />
      </aside>
      <section className="workstation__list">
        <FilterBar filters={filters} onFilters={setFilters} sort={sort} onSort={setSort} total={total} onSaveView={() => setOverlay({ kind: 'save-view' })} onLeave={focusTable} searchRef={searchRef} />
        {domain.cfgError && <p className="banner banner--warn">{w.status.configMissing}</p>}
        <EventTable
          ref={tableRef}
          filter={filter}
          sort={sort}
          changeTick={changeTick}
          selectedId={selectedId}
          onSelect={onSelect}
          onOpen={onOpen}
          onTotal={setTotal}
          ariaLabel={w.table.label(w.queues[queue])}
        />
        <footer className="workstation__status">
          <span>
            <kbd className="kbd">?</kbd> {w.shortcuts.title} · <kbd className="kbd">Ctrl+K</kbd> {w.palette.title}
          </span>
          <span className={sound ? '' : 'muted'}>
            {w.notify.sound}: {sound ? w.notify.soundOn : w.notify.soundOff}
          </span>
          {outbox.offline && <span className="warn-text">{w.status.offline}</span>}
        </footer>
      </section>
      <div className="workstation__detail">
        <EventDetailPanel
          ref={detailRef}
          state={detailState}
          actions={actions}
          onAction={onDetailAction}
          onPushToWall={canAct ? pushDetailToWall : null}
          onOpenEvent={setSelectedId}
          onMerge={onMerge}
          onRetry={onRetryDetail}
          showMap={props.showMaps !== false}
        />
      </div>

      {overlay?.kind === 'dispatch' && <DispatchDialog record={overlay.detail.event} onClose={close} returnFocus={tableElement} />}
      {overlay?.kind === 'action' && <CommandDialog spec={overlay.spec} detail={overlay.detail} onClose={close} returnFocus={tableElement} />}
      {overlay?.kind === 'intake' && <IntakeDialog onClose={close} returnFocus={tableElement} showMap={props.showMaps !== false} />}
      {overlay?.kind === 'palette' && (
        <CommandPalette commands={paletteCommands} onClose={close} title={w.palette.title} placeholder={w.palette.placeholder} emptyText={w.palette.empty} closeLabel={w.dialog.close} returnFocus={tableElement} />
      )}
      {overlay?.kind === 'help' && <ShortcutHelpFor onClose={close} returnFocus={tableElement} />}
      {overlay?.kind === 'save-view' && <SaveViewDialog initial={views.find((v) => v.id === activeViewId)?.name ?? w.queues[queue]} onClose={close} onSave={(n) => void saveView(n)} returnFocus={tableElement} />}
    </div>
  );
}

function ShortcutHelpFor({ onClose, returnFocus }: { onClose: () => void; returnFocus: () => HTMLElement | null }) {
  const { t } = useI18n();
  return <ShortcutHelp title={t.workstation.shortcuts.title} groups={shortcutGroups(t)} onClose={onClose} closeLabel={t.workstation.dialog.close} returnFocus={returnFocus} />;
}

function SaveViewDialog(props: { initial: string; onClose: () => void; onSave: (name: string) => void; returnFocus: () => HTMLElement | null }) {
  const { t } = useI18n();
  const w = t.workstation;
  const [name, setName] = useState(props.initial);
  const ref = useRef<HTMLInputElement>(null);
  return (
    <Dialog title={w.filters.saveView} onClose={props.onClose} closeLabel={w.dialog.close} initialFocus={ref} returnFocus={props.returnFocus} testId="save-view-dialog" size="small">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!name.trim()) return;
          props.onSave(name.trim());
          props.onClose();
        }}
      >
        <label className="field">
          <span className="field__label">{w.filters.saveViewPrompt}</span>
          <input ref={ref} className="input" value={name} maxLength={60} onChange={(e) => setName(e.target.value)} onFocus={(e) => e.currentTarget.select()} data-testid="view-name" />
        </label>
        <footer className="dialog__footer">
          <button type="button" className="button" onClick={props.onClose}>
            {w.dialog.cancel}
          </button>
          <button type="submit" className="button button--primary" data-testid="dialog-submit">
            {w.filters.saveView}
          </button>
        </footer>
      </form>
    </Dialog>
  );
}

function OutboxSummary() {
  const { t } = useI18n();
  const w = t.workstation;
  const outbox = useOutbox();
  const list = [...outbox.entries.values()];
  const queued = list.filter((e) => e.state === 'queued').length;
  const sent = list.filter((e) => e.state === 'sent').length;
  const rejected = list.filter((e) => e.state === 'rejected').length;
  return (
    <section className={`outbox-summary${outbox.offline ? ' outbox-summary--offline' : ''}`} data-testid="outbox-summary" data-queued={queued} data-sent={sent} data-rejected={rejected} data-offline={outbox.offline}>
      <h3>{w.outbox.title}</h3>
      <p className="small">{queued + sent + rejected === 0 ? w.outbox.empty : w.outbox.summary(queued, sent, rejected)}</p>
    </section>
  );
}
