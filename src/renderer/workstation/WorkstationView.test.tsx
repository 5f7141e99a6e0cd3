// @vitest-environment happy-dom
/**
 * The workstation over the demo service (real workflow rules, a stateful
 * outbox): sign-in, the dispatch in three keystrokes with the suggestion
 * accepted, outbox badges from queued offline to confirmed and a refusal
 * shown with its reason, shortcuts and focus return, selection kept through
 * a live refresh, a wall viewer offered nothing, intake errors named per field.
 */
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRpcClient } from '../../core/rpc/wire';
import { answer } from '../../core/rpc/wire';
import { giveTablesLayout } from '../components/test/layout';
import { I18nProvider } from '../i18n';
import { RpcProvider } from '../rpc/rpc-context';
import { createDemoService, type DemoService } from './test/demo-service';
import { SessionProvider, WorkstationRoot } from './WorkstationRoot';

vi.mock('../map/DistrictMap', async () => ({ DistrictMap: (await import('../test/map-stub')).DistrictMapStub }));

const NOW = new Date('2026-03-10T02:00:00.000Z');
let demo: DemoService;
let undoLayout: () => void;

beforeAll(() => {
  undoLayout = giveTablesLayout();
});
afterAll(() => undoLayout());
beforeEach(() => {
  localStorage.clear();
});
afterEach(() => {
  cleanup();
  demo?.stop();
});

function mount(options: { signedIn?: string | null; events?: number } = {}) {
  demo = createDemoService({ events: options.events ?? 300, now: () => NOW, signedIn: options.signedIn === undefined ? 'duty' : options.signedIn, autoSettle: false });
  const bridge = { invoke: (n: string, a: unknown) => answer(demo.handlers, n, a), subscribe: (n: string, l: (p: unknown) => void) => demo.subscribe(n as 'sync/status', l) };
  return render(
    <RpcProvider client={createRpcClient(bridge)}>
      <I18nProvider locale="zh-CN">
        <SessionProvider>
          <WorkstationRoot />
        </SessionProvider>
      </I18nProvider>
    </RpcProvider>,
  );
}

const table = () => screen.getByTestId('event-table-body');
const rows = () => [...table().querySelectorAll<HTMLElement>('[data-key]')];
const settle = () => act(async () => demo.settle());
const tick = (ms = 0) => act(async () => await new Promise((r) => setTimeout(r, ms)));

async function ready() {
  await waitFor(() => expect(rows().length).toBeGreaterThan(0));
  await waitFor(() => expect(screen.getByTestId('queue-to_dispatch').dataset.count).not.toBe(''));
}

/** Counts what the officer does: every key press and click. */
function officer() {
  let n = 0;
  return {
    get count() {
      return n;
    },
    key(el: Element, key: string, init: Record<string, unknown> = {}) {
      n++;
      fireEvent.keyDown(el, { key, ...init });
    },
    click(el: Element) {
      n++;
      fireEvent.mouseDown(el);
      fireEvent.click(el);
    },
  };
}

describe('sign-in', () => {
  it('shows the login, names a wrong password, then opens the workstation with the officer', async () => {
    mount({ signedIn: null });
    await screen.findByTestId('login-screen');
    fireEvent.change(screen.getByTestId('login-name'), { target: { value: 'duty' } });
    fireEvent.change(screen.getByTestId('login-password'), { target: { value: 'nope' } });
    fireEvent.click(screen.getByTestId('login-submit'));
    expect((await screen.findByTestId('login-error')).textContent).toBe('账号或密码不正确');
    fireEvent.change(screen.getByTestId('login-password'), { target: { value: 'huying-demo' } });
    fireEvent.click(screen.getByTestId('login-submit'));
    await screen.findByTestId('workstation');
    await ready();
    expect(Number(screen.getByTestId('queue-all').dataset.count)).toBe(300);
  });
});

describe('dispatch', () => {
  it('from opening an event to a confirmed dispatch in 3 actions, with the suggested unit', async () => {
    mount();
    await ready();
    const o = officer();
    const first = rows()[0]!;
    const id = first.dataset.id!;
    o.click(first); // open the event
    await waitFor(() => expect(screen.getByTestId('event-detail').dataset.id).toBe(id));
    await waitFor(() => expect(screen.getByTestId('action-bar').dataset.actions).toContain('dispatch'));
    o.key(document.activeElement ?? document.body, 'd'); // dispatch dialog, suggestion chosen, focus on submit
    const dialog = await screen.findByTestId('dispatch-dialog');
    const suggested = within(dialog).getByTestId('suggestion').dataset.unit!;
    expect(within(dialog).getByTestId('lead-unit').dataset.value).toBe(suggested);
    expect(document.activeElement).toBe(within(dialog).getByTestId('dialog-submit'));
    o.click(document.activeElement!); // Enter on the focused button is a click
    await waitFor(() => expect(screen.queryByTestId('dispatch-dialog')).toBeNull());
    expect(demo.outbox.at(-1)!.mutation).toMatchObject({ name: 'event/command', eventId: id, command: { type: 'dispatch', leadUnitId: suggested } });
    await settle();
    await waitFor(() => expect(screen.getByTestId('pending-entry').dataset.state).toBe('confirmed'));
    expect(demo.events.get(id)!.workflow.status).toBe('dispatched');
    expect(o.count).toBeLessThan(10);
    expect(o.count).toBe(3);
    // the focus came back to the table
    await tick();
    expect(document.activeElement).toBe(table());
  });
});

describe('outbox badges', () => {
  it('queued offline → sent → confirmed on the row and in the detail', async () => {
    mount();
    await ready();
    act(() => demo.setOnline(false));
    const row = rows()[0]!;
    fireEvent.mouseDown(row);
    await waitFor(() => expect(screen.getByTestId('action-bar').dataset.actions).toContain('supervise'));
    fireEvent.keyDown(document.body, { key: 's' });
    const dialog = await screen.findByTestId('command-dialog');
    fireEvent.change(within(dialog).getByTestId('reason'), { target: { value: '群众多次来电' } });
    fireEvent.click(within(dialog).getByTestId('dialog-submit'));
    await waitFor(() => expect(screen.getByTestId('pending-entry').dataset.state).toBe('queuedOffline'));
    await waitFor(() => expect(table().querySelector('[data-testid=row-pending]')?.getAttribute('data-state')).toBe('queuedOffline'));
    // nothing moves while offline
    await settle();
    expect(screen.getByTestId('pending-entry').dataset.state).toBe('queuedOffline');
    expect(demo.outbox.at(-1)!.state).toBe('queued');
    // back online: the link takes it (sent), the feed confirms it
    act(() => demo.setOnline(true));
    await waitFor(() => expect(screen.getByTestId('pending-entry').dataset.state).toBe('queued'));
    await act(async () => void demo.step());
    await waitFor(() => expect(screen.getByTestId('pending-entry').dataset.state).toBe('sent'));
    await act(async () => void demo.step());
    await waitFor(() => expect(screen.getByTestId('pending-entry').dataset.state).toBe('confirmed'));
    expect(screen.getByTestId('detail-supervision').textContent).toBe('一般督办');
  });

  it('shows the data center’s refusal with its reason and keeps it until dismissed', async () => {
    mount();
    await ready();
    const row = rows()[0]!;
    const id = row.dataset.id!;
    fireEvent.mouseDown(row);
    await waitFor(() => expect(screen.getByTestId('action-bar').dataset.actions).toContain('dispatch'));
    fireEvent.keyDown(document.body, { key: 'd' });
    fireEvent.click(within(await screen.findByTestId('dispatch-dialog')).getByTestId('dialog-submit'));
    // meanwhile another desk rejected the report: the dispatch is now illegal
    demo.events.get(id)!.workflow = { ...demo.events.get(id)!.workflow, status: 'cancelled' };
    await settle();
    await waitFor(() => expect(screen.getByTestId('pending-entry').dataset.state).toBe('rejected'));
    expect(screen.getByTestId('pending-entry').textContent).toContain('当前状态不允许此操作');
    const toast = screen.getAllByTestId('outbox-toast').find((t) => t.dataset.tone === 'bad')!;
    expect(toast.textContent).toContain('被拒绝');
    expect(toast.textContent).toContain('数据中心拒绝');
    fireEvent.click(within(screen.getByTestId('pending-entry')).getByRole('button'));
    await waitFor(() => expect(screen.queryByTestId('pending-entry')).toBeNull());
    expect(demo.outbox.at(-1)!.state).toBe('dismissed');
  });
});

describe('keyboard', () => {
  it('? opens the help, Escape closes it and the focus returns to the table; Ctrl+K finds a queue; digits switch queues', async () => {
    mount();
    await ready();
    table().focus();
    fireEvent.keyDown(table(), { key: '?', shiftKey: true });
    expect(await screen.findByTestId('shortcut-help')).toBeTruthy();
    expect(screen.getByTestId('shortcut-help').textContent).toContain('派遣');
    fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    await tick();
    expect(screen.queryByTestId('shortcut-help')).toBeNull();
    expect(document.activeElement).toBe(table());

    fireEvent.keyDown(table(), { key: 'k', ctrlKey: true });
    const input = await screen.findByTestId('palette-input');
    fireEvent.change(input, { target: { value: '退单' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    await waitFor(() => expect(screen.getByTestId('workstation').dataset.queue).toBe('bounced'));
    await tick();
    expect(document.activeElement).toBe(table());

    const bounced = rows().map((r) => r.dataset.id).join();
    fireEvent.keyDown(table(), { key: '5' });
    await waitFor(() => expect(screen.getByTestId('workstation').dataset.queue).toBe('in_progress'));
    // the in-progress rows have arrived (j on the previous queue's rows would select those)
    await waitFor(() => {
      expect(rows().length).toBeGreaterThan(1);
      expect(rows().map((r) => r.dataset.id).join()).not.toBe(bounced);
    });
    // j/k walk the list and select
    fireEvent.keyDown(table(), { key: 'j' });
    fireEvent.keyDown(table(), { key: 'j' });
    await waitFor(() => expect(screen.getByTestId('workstation').dataset.selected).toBe(rows()[1]!.dataset.id));
  });

  it('a live refresh keeps the selection, the scroll and the focus', async () => {
    mount();
    await ready();
    fireEvent.keyDown(document.body, { key: '0' });
    await waitFor(() => expect(screen.getByTestId('workstation').dataset.queue).toBe('all'));
    table().focus();
    fireEvent.keyDown(table(), { key: 'ArrowDown' });
    fireEvent.keyDown(table(), { key: 'ArrowDown' });
    fireEvent.keyDown(table(), { key: 'ArrowDown' });
    const selected = screen.getByTestId('workstation').dataset.selected!;
    expect(selected).not.toBe('');
    const before = demo.calls.get('events/list') ?? 0;
    await act(async () => {
      for (let i = 0; i < 5; i++) demo.arrive({ urgency: 'urgent' });
    });
    await tick(400);
    expect(demo.calls.get('events/list')!).toBeGreaterThan(before);
    expect(screen.getByTestId('workstation').dataset.selected).toBe(selected);
    expect(table().querySelector(`[data-key="${selected}"]`)!.getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(table());
  });
});

describe('roles', () => {
  it('a wall viewer is offered no action, and a forged dispatch is refused by the rules', async () => {
    mount({ signedIn: 'wall' });
    await ready();
    fireEvent.mouseDown(rows()[0]!);
    await waitFor(() => expect(screen.getByTestId('action-bar').dataset.actions).toBe(''));
    expect(screen.queryByTestId('new-intake')).toBeNull();
    fireEvent.keyDown(document.body, { key: 'd' });
    expect(screen.queryByTestId('dispatch-dialog')).toBeNull();
    // nor the wall: no 上大屏 button (its directive would only be refused)
    expect(screen.queryByTestId('push-event-to-wall')).toBeNull();
    expect(screen.queryByTestId('push-town-to-wall')).toBeNull();
    const id = screen.getByTestId('event-detail').dataset.id!;
    const forged = await answer(demo.handlers, 'commands/submit', { mutation: { name: 'event/command', eventId: id, command: { type: 'dispatch', leadUnitId: 'dept-cg' } } });
    expect(forged.ok).toBe(true);
    await settle();
    expect(demo.outbox.at(-1)).toMatchObject({ state: 'rejected', error: { code: 'forbidden_role' } });
  });
});

describe('上大屏 from the detail', () => {
  it('pushes the event, or the town it is in, to the walls as a directive through the outbox', async () => {
    mount();
    await ready();
    fireEvent.mouseDown(rows()[0]!);
    const town = await screen.findByTestId('push-town-to-wall');
    const id = screen.getByTestId('event-detail').dataset.id!;
    fireEvent.click(screen.getByTestId('push-event-to-wall'));
    await settle();
    expect(demo.outbox.at(-1)).toMatchObject({ state: 'confirmed', mutation: { name: 'wall/directive', directive: { focus: { kind: 'event', eventId: id } } } });
    fireEvent.click(town);
    await settle();
    expect(demo.outbox.at(-1)).toMatchObject({ state: 'confirmed', mutation: { name: 'wall/directive', directive: { focus: { kind: 'town', code: town.dataset.town } } } });
    expect(town.dataset.town).toMatch(/^440114\d{6}$/);
  });
});

describe('intake', () => {
  it('names every wrong field inline, then queues an event/intake with the coordinate system', async () => {
    mount();
    await ready();
    fireEvent.keyDown(document.body, { key: 'i' });
    const dialog = await screen.findByTestId('intake-dialog');
    expect(document.activeElement).toBe(within(dialog).getByTestId('intake-title'));
    fireEvent.change(within(dialog).getByTestId('intake-caller-phone'), { target: { value: 'call me' } });
    fireEvent.click(within(dialog).getByTestId('intake-submit'));
    expect(within(dialog).getByTestId('error-title').textContent).toBe('必填');
    expect(within(dialog).getByTestId('error-categoryCode').textContent).toBe('必填');
    expect(within(dialog).getByTestId('error-address').textContent).toBe('请填写地址或在地图上点选位置');
    expect(within(dialog).getByTestId('error-callerPhone').textContent).toContain('电话号码格式不正确');
    await tick();
    expect(document.activeElement).toBe(within(dialog).getByTestId('intake-title'));

    fireEvent.change(within(dialog).getByTestId('intake-title'), { target: { value: '井盖缺失' } });
    const cat = within(within(dialog).getByTestId('intake-category')).getByRole('combobox');
    fireEvent.change(cat, { target: { value: '井盖' } });
    fireEvent.keyDown(cat, { key: 'Enter' });
    fireEvent.change(within(dialog).getByTestId('intake-lon'), { target: { value: '113.2251' } });
    fireEvent.change(within(dialog).getByTestId('intake-lat'), { target: { value: '23.4012' } });
    fireEvent.change(within(dialog).getByTestId('intake-coord-system'), { target: { value: 'gcj02' } });
    fireEvent.change(within(dialog).getByTestId('intake-caller-phone'), { target: { value: '13800001234' } });
    fireEvent.click(within(dialog).getByTestId('intake-submit'));
    await waitFor(() => expect(screen.queryByTestId('intake-dialog')).toBeNull());
    expect(demo.outbox.at(-1)!.mutation).toMatchObject({
      name: 'event/intake',
      event: { title: '井盖缺失', categoryCode: '040201', location: { lon: 113.2251, lat: 23.4012, coordSystem: 'gcj02' }, reporter: { phone: '13800001234' }, file: true },
    });
    const before = Number(screen.getByTestId('queue-all').dataset.count);
    await settle();
    await waitFor(() => expect(Number(screen.getByTestId('queue-all').dataset.count)).toBe(before + 1));
  });
});
