/**
 * The queue as a virtualized table over `events/list` pages (RowWindow).
 *
 * Selection follows the event, not the position: after a live refresh the
 * cursor moves to wherever the selected event now is, without scrolling. When
 * the selected event leaves the queue (it was just dispatched out of "to
 * dispatch"), the detail keeps showing it and the cursor waits between rows,
 * so ↓ takes the event that moved up into its place rather than skipping it.
 */
import { useCallback, useEffect, useImperativeHandle, useMemo, useReducer, useRef, useState, type Ref } from 'react';
import type { EventFilterInput, EventRow, EventSort } from '../../core/rpc/queries';
import { Badge } from '../components/Badge';
import type { Tone } from '../components/Toasts';
import { VirtualTable, type Column, type VirtualTableHandle } from '../components/VirtualTable';
import { useI18n } from '../i18n';
import { useRpc } from '../rpc/rpc-context';
import { useDomain } from './domain';
import { RowWindow } from './event-window';
import { outboxBadge, useOutbox } from './outbox';
import { formatCountdown, useNow } from './time';
import { districtFields } from '../shell/district-time';

export interface EventTableHandle {
  focus(): void;
  /** move the cursor by n rows and select the row there */
  move(delta: number): void;
  element(): HTMLElement | null;
}

export interface EventTableProps {
  filter: EventFilterInput;
  sort: EventSort;
  /** bumped on every `events/changed` that may touch this queue */
  changeTick: number;
  selectedId: string | null;
  onSelect: (row: EventRow) => void;
  /** Enter or double-click: into the detail */
  onOpen: (row: EventRow) => void;
  onTotal?: (total: number | null) => void;
  ariaLabel: string;
  ref?: Ref<EventTableHandle>;
}

export const URGENCY_TONE: Record<EventRow['urgency'], Tone> = { normal: 'muted', urgent: 'warn', critical: 'bad' };

export function statusTone(status: EventRow['status']): Tone {
  switch (status) {
    case 'reported':
    case 'verifying':
      return 'accent';
    case 'filed':
    case 'bounced':
      return 'warn';
    case 'dispatched':
    case 'signed':
    case 'in_progress':
    case 'rework':
      return 'info';
    case 'handled':
    case 'checking':
    case 'checked':
      return 'accent';
    case 'closed':
    case 'evaluated':
      return 'ok';
    default:
      return 'muted';
  }
}

/** 03-09 14:05 in the district's zone (the command center's clock), whatever the machine's zone. */
export function shortTime(iso: string): string {
  const d = districtFields(Date.parse(iso));
  return `${two(d.month)}-${two(d.day)} ${two(d.hour)}:${two(d.minute)}`;
}
const two = (n: number) => String(n).padStart(2, '0');

export function DeadlineCell({ deadline, clockStatus }: { deadline: string | null; clockStatus: EventRow['clockStatus'] }) {
  const now = useNow();
  const { t } = useI18n();
  if (!deadline) return <span className="muted">—</span>;
  const ms = Date.parse(deadline);
  const status = now > ms ? 'overdue' : clockStatus;
  return (
    <span className={`deadline deadline--${status ?? 'running'}`} data-status={status ?? 'running'} title={shortTime(deadline)}>
      {formatCountdown(ms, now, t.workstation)}
    </span>
  );
}

export function EventTable(props: EventTableProps) {
  const rpc = useRpc();
  const { t } = useI18n();
  const w = t.workstation;
  const domain = useDomain();
  const outbox = useOutbox();
  const [, rerender] = useReducer((x: number) => x + 1, 0);
  const filterKey = JSON.stringify([props.filter, props.sort]);
  const argsRef = useRef({ filter: props.filter, sort: props.sort });
  argsRef.current = { filter: props.filter, sort: props.sort };

  const fetchPage = useCallback(
    (offset: number, limit: number) => rpc.invoke('events/list', { filter: argsRef.current.filter, sort: argsRef.current.sort, offset, limit }),
    [rpc],
  );
  const win = useMemo(() => new RowWindow(fetchPage, { onChange: rerender, pageSize: 100, keepPages: 1 }), [fetchPage]);
  const tableRef = useRef<VirtualTableHandle>(null);
  const [cursor, setCursor] = useState(0);
  const [detached, setDetached] = useState(true);

  // a new queue, filter or order: start over at the top
  const firstKey = useRef(true);
  useEffect(() => {
    if (firstKey.current) {
      firstKey.current = false;
      void win.setRange(0, 40);
      return;
    }
    setCursor(0);
    setDetached(true);
    tableRef.current?.scrollToIndex(0);
    void win.reset();
  }, [filterKey, win]);

  // live refresh: re-read the kept pages in place
  useEffect(() => {
    if (props.changeTick > 0) void win.refresh();
  }, [props.changeTick, win]);

  const total = win.total;
  const onTotal = props.onTotal;
  useEffect(() => onTotal?.(total), [total, onTotal]);

  // the selected event's row moved: follow it; it left: the cursor waits between rows
  const selectedIndex = props.selectedId ? win.indexOf(props.selectedId) : null;
  useEffect(() => {
    if (selectedIndex !== null) {
      setCursor(selectedIndex);
      setDetached(false);
    } else if (props.selectedId) {
      setDetached(true);
    }
  }, [selectedIndex, props.selectedId]);

  const count = total ?? 0;
  const clamped = Math.min(cursor, Math.max(0, count - 1));

  const { onSelect, onOpen } = props;
  const selectIndex = useCallback(
    (i: number) => {
      setCursor(i);
      setDetached(false);
      const row = win.get(i);
      if (row) onSelect(row);
    },
    [win, onSelect],
  );

  useImperativeHandle(props.ref, () => ({
    focus: () => tableRef.current?.focus(),
    element: () => tableRef.current?.element() ?? null,
    move: (delta) => {
      if (count === 0) return;
      const base = detached ? clamped - (delta > 0 ? 1 : 0) : clamped;
      const next = Math.max(0, Math.min(count - 1, base + delta));
      tableRef.current?.scrollToIndex(next);
      selectIndex(next);
    },
  }));

  const columns = useMemo<Column<EventRow>[]>(
    () => [
      {
        id: 'urgency',
        header: <span title={w.filters.urgency}>{w.table.urgency}</span>,
        width: '26px',
        align: 'center',
        cell: (r) => <span className={`urgency-dot urgency-dot--${r.urgency}`} title={w.urgencies[r.urgency]} aria-label={w.urgencies[r.urgency]} />,
      },
      { id: 'caseNo', header: w.table.caseNo, width: '132px', cell: (r) => <span className="mono">{r.caseNo}</span> },
      {
        id: 'title',
        header: w.table.title,
        width: 'minmax(160px, 1fr)',
        cell: (r) => (
          <span className="cell-title" title={[r.title, r.address, w.sources[r.source]].filter(Boolean).join(' · ')}>
            {r.title}
          </span>
        ),
      },
      { id: 'category', header: w.table.category, width: '96px', cell: (r) => <span className="ellipsis">{domain.categoryName(r.categoryCode) || '—'}</span> },
      { id: 'place', header: w.table.place, width: '112px', cell: (r) => <span className="ellipsis">{domain.placeName(r)}</span> },
      {
        id: 'status',
        header: w.table.status,
        width: '70px',
        cell: (r) => (
          <Badge tone={statusTone(r.status)} data={{ status: r.status }}>
            {w.statuses[r.status]}
          </Badge>
        ),
      },
      { id: 'unit', header: w.table.unit, width: '84px', cell: (r) => <span className="ellipsis">{r.leadUnitId ? domain.unitName(r.leadUnitId) : '—'}</span> },
      { id: 'deadline', header: w.table.deadline, width: '96px', cell: (r) => <DeadlineCell deadline={r.deadline} clockStatus={r.clockStatus} /> },
      {
        id: 'supervision',
        header: w.table.supervision,
        width: '34px',
        align: 'center',
        cell: (r) =>
          r.supervisionLevel ? (
            <span className={`sup sup--${r.supervisionLevel}`} title={w.supervisionLevels[r.supervisionLevel as 1 | 2 | 3]}>
              督{r.supervisionLevel}
            </span>
          ) : null,
      },
      {
        id: 'pending',
        header: w.table.pending,
        width: '66px',
        cell: (r) => {
          const local = outbox.forEvent(r.id).filter((e) => e.state !== 'dismissed' && e.state !== 'confirmed').at(-1);
          const state = local?.state ?? r.pending?.state;
          if (!state || state === 'dismissed' || (state === 'confirmed' && !local)) return null;
          const b = outboxBadge(state, outbox.offline);
          return (
            <Badge tone={b.tone} testId="row-pending" data={{ state: b.key }}>
              {w.outbox[b.key]}
            </Badge>
          );
        },
      },
      { id: 'reported', header: w.table.reported, width: '82px', cell: (r) => <span className="mono muted">{shortTime(r.reportedAt)}</span> },
    ],
    [w, domain, outbox],
  );

  return (
    <VirtualTable
      ref={tableRef}
      testId="event-table"
      rowCount={count}
      getRow={(i) => win.get(i)}
      getRowKey={(r) => r.id}
      rowData={(r) => ({ id: r.id, status: r.status, case: r.caseNo })}
      rowClassName={(r) => `row--${r.urgency}`}
      columns={columns}
      // rows are in memory a page either side (RowWindow); the DOM needs only a few beyond the view,
      // and every row mounted is work on each queue switch
      overscan={6}
      activeIndex={clamped}
      showActive={!detached}
      selectedKey={props.selectedId}
      onActiveIndexChange={selectIndex}
      onOpen={(i) => {
        const row = win.get(i);
        if (row) onOpen(row);
      }}
      onRangeChange={(start, end) => void win.setRange(start, end)}
      ariaLabel={props.ariaLabel}
      emptyText={total === null ? w.table.loading : w.table.empty}
      loadingText={w.table.loading}
    />
  );
}
