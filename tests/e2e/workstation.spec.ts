/**
 * The workstation end to end (issue 6, point 7) against the web host and its
 * real embedded data center (playwright.config.ts starts both): a duty officer
 * runs a 12345 hotline work order through the whole loop while the unit's
 * steps come through the data center's own API; a bounced event is
 * re-dispatched; an extension request is granted; a wall-viewer account is
 * offered no action and the data center refuses a forged dispatch.
 *
 * Everything is real: the replica's query layer (events/list, detail,
 * counts), the data service's sign-in, the sync feed and the workflow
 * authority. Nothing is faked and nothing is skipped: a piece that does not
 * answer fails the test.
 */
import { expect, test, type Page } from '@playwright/test';
import { dataCenterUrl, hostRpc, postIntake, Workstation } from './support/datacenter';
import { signInDesk } from './support/desk';

/** The data center's own API, as a unit operator or another desk would use it: one client per account. */
class DataCenter {
  private readonly clients = new Map<string, Promise<Workstation>>();
  constructor(readonly url: string) {}

  static async of(baseURL: string): Promise<DataCenter> {
    return new DataCenter(await dataCenterUrl(baseURL));
  }

  /** One workflow command through POST /api/v1/commands as `login`; throws unless it is applied. */
  async command(login: string, eventId: string, command: Record<string, unknown>) {
    let client = this.clients.get(login);
    if (!client) this.clients.set(login, (client = Workstation.signIn(this.url, login)));
    return (await (await client).command(eventId, command))[0]!;
  }

  /** A 12345 work order through the intake API; resolves with the event id and case number. */
  hotlineOrder(title: string, extra: Record<string, unknown> = {}) {
    return postIntake(this.url, 'hotline_12345', {
      orderNo: `GZ12345-E2E-${Date.now()}-${Math.floor(Math.random() * 1e6)}`,
      appealType: '投诉',
      isUrgent: false,
      title,
      content: `${title}：新华街公益大道路面垃圾散落，影响通行`,
      classification: '城市管理/市容环境/道路不洁',
      address: '花都区新华街公益大道 18 号',
      longitude: 113.2253,
      latitude: 23.3874,
      coordinateSystem: 'wgs84',
      caller: { name: '王女士', phone: '13800138000' },
      acceptedAt: new Date().toISOString(),
      ...extra,
    });
  }
}

/** Opens an event by case number in a queue: the queue's key, the search, the first row. */
async function openEvent(page: Page, queueKey: string, caseNo: string) {
  await page.getByTestId('event-table-body').focus();
  await page.keyboard.press(queueKey);
  await page.getByTestId('search').fill(caseNo);
  const row = page.locator(`[data-testid=event-table-body] [data-case="${caseNo}"]`);
  await expect(row).toBeVisible({ timeout: 30_000 });
  await row.click();
  await expect(page.getByTestId('detail-case')).toHaveText(caseNo);
}

/** Presses an action's key, submits the dialog with Enter, waits for the data center's confirmation. */
async function act(page: Page, key: string, command: string, fill?: (page: Page) => Promise<void>) {
  await expect(page.getByTestId('action-bar')).toHaveAttribute('data-actions', new RegExp(`(^|,)${command}(,|$)`));
  await page.getByTestId('event-table-body').focus();
  await page.keyboard.press(key);
  const dialog = page.locator('[role=dialog]');
  await expect(dialog).toBeVisible();
  if (fill) await fill(page);
  await dialog.getByTestId('dialog-submit').click();
  await expect(dialog).toBeHidden();
  await expect(page.locator(`[data-testid=pending-entry]`).last()).toHaveAttribute('data-state', 'confirmed', { timeout: 30_000 });
}

test.describe('workstation against the real data center', () => {
  test('a duty officer runs a hotline event through the whole loop; the timeline shows every step with actor and time', async ({ page, baseURL }) => {
    const dc = await DataCenter.of(baseURL!);
    const order = await dc.hotlineOrder(`E2E 道路不洁 ${Date.now()}`);
    await signInDesk(page, 'duty');

    // 统一受理: file it (category confirmed in the dialog)
    await openEvent(page, '1', order.caseNo);
    await act(page, 'f', 'file', async (p) => {
      const cat = p.getByTestId('file-category').getByRole('combobox');
      if (!(await p.getByTestId('file-category').getAttribute('data-value'))) {
        await cat.fill('道路不洁');
        await cat.press('Enter');
      }
    });

    // 调度派遣: the suggestion is accepted with Enter
    await openEvent(page, '2', order.caseNo);
    // the key acts once the detail knows the officer may dispatch (the action probes answer after the row opens)
    await expect(page.getByTestId('action-bar')).toHaveAttribute('data-actions', /(^|,)dispatch(,|$)/);
    await page.getByTestId('event-table-body').focus();
    await page.keyboard.press('d');
    await expect(page.getByTestId('dispatch-dialog')).toBeVisible();
    const lead = await page.getByTestId('suggestion').getAttribute('data-unit');
    expect(lead).toBe('dept-cg');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('pending-entry').last()).toHaveAttribute('data-state', 'confirmed', { timeout: 30_000 });

    // 协调处置: the unit signs and feeds back through the data center's API
    await dc.command('unit-cg', order.eventId, { type: 'sign' });
    await dc.command('unit-cg', order.eventId, { type: 'start' });
    await dc.command('unit-cg', order.eventId, { type: 'handle', feedback: '已清扫完毕，路面恢复整洁' });

    // 核查 → 结案 → 评价
    await openEvent(page, '8', order.caseNo);
    await expect(page.getByTestId('detail-status')).toHaveAttribute('data-status', 'handled', { timeout: 30_000 });
    await act(page, 'h', 'request_check');
    await act(page, 'y', 'check_pass');
    await act(page, 'c', 'close');
    await openEvent(page, '9', order.caseNo);
    await act(page, 'l', 'evaluate', async (p) => {
      await p.getByTestId('callback-note').fill('电话回访，群众满意');
    });
    await expect(page.getByTestId('detail-status')).toHaveAttribute('data-status', 'evaluated');

    const entries = page.getByTestId('timeline-entry');
    const commands = await entries.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.command).reverse());
    expect(commands).toEqual(['report', 'file', 'dispatch', 'sign', 'start', 'handle', 'request_check', 'check_pass', 'close', 'evaluate']);
    for (const entry of await entries.all()) {
      await expect(entry.getByTestId('timeline-actor')).not.toBeEmpty();
      await expect(entry.locator('time')).toHaveText(/\d\d-\d\d \d\d:\d\d/);
    }
    await expect(page.locator('[data-testid=timeline-entry][data-command=sign] [data-testid=timeline-actor]')).toContainText('城管局');
    for (const command of ['file', 'dispatch', 'request_check', 'check_pass', 'close', 'evaluate']) {
      await expect(page.locator(`[data-testid=timeline-entry][data-command=${command}] [data-testid=timeline-actor]`)).toContainText('值班员');
    }
  });

  test('a bounced event is re-dispatched', async ({ page, baseURL }) => {
    const dc = await DataCenter.of(baseURL!);
    const order = await dc.hotlineOrder(`E2E 退单 ${Date.now()}`);
    await dc.command('duty', order.eventId, { type: 'file', categoryCode: '040101' });
    await dc.command('duty', order.eventId, { type: 'dispatch', leadUnitId: 'dept-cg' });
    await dc.command('unit-cg', order.eventId, { type: 'bounce', reasonCode: 'wrong_location', reason: '地址不在本单位辖区' });

    await signInDesk(page, 'duty');
    await openEvent(page, '4', order.caseNo);
    await expect(page.getByTestId('note-bounce')).toContainText('地址不准确');
    await page.keyboard.press('d');
    const dialog = page.getByTestId('dispatch-dialog');
    await expect(dialog).toBeVisible();
    const lead = dialog.getByTestId('lead-unit').getByRole('combobox');
    await lead.fill('新华街');
    await lead.press('Enter');
    await expect(dialog.getByTestId('lead-unit')).toHaveAttribute('data-value', 'town-440114001000');
    await dialog.getByTestId('dialog-submit').click();
    await expect(page.getByTestId('pending-entry').last()).toHaveAttribute('data-state', 'confirmed', { timeout: 30_000 });
    await expect(page.getByTestId('detail-status')).toHaveAttribute('data-status', 'dispatched');
    await expect(page.getByTestId('timeline-entry').first()).toHaveAttribute('data-command', 'dispatch');
  });

  test('an extension request is granted', async ({ page, baseURL }) => {
    const dc = await DataCenter.of(baseURL!);
    const order = await dc.hotlineOrder(`E2E 延期 ${Date.now()}`);
    await dc.command('duty', order.eventId, { type: 'file', categoryCode: '040101' });
    await dc.command('duty', order.eventId, { type: 'dispatch', leadUnitId: 'dept-cg' });
    await dc.command('unit-cg', order.eventId, { type: 'sign' });
    await dc.command('unit-cg', order.eventId, { type: 'request_extension', duration: { unit: 'working_days', amount: 2 }, reason: '需协调交通部门' });

    await signInDesk(page, 'duty');
    await openEvent(page, '6', order.caseNo);
    await expect(page.getByTestId('note-extension')).toContainText('需协调交通部门');
    const before = await page.getByTestId('clock').first().getAttribute('data-kind');
    await act(page, 'g', 'grant_extension');
    await expect(page.getByTestId('note-extension')).toHaveCount(0);
    await expect(page.getByTestId('timeline-entry').first()).toHaveAttribute('data-command', 'grant_extension');
    expect(before).not.toBeNull();
  });

  test('a wall-viewer account sees no dispatch action and the data center refuses a forged one', async ({ page, baseURL }) => {
    const dc = await DataCenter.of(baseURL!);
    const order = await dc.hotlineOrder(`E2E 大屏 ${Date.now()}`);
    await dc.command('duty', order.eventId, { type: 'file', categoryCode: '040101' });

    await signInDesk(page, 'wall');
    await openEvent(page, '2', order.caseNo);
    await expect(page.getByTestId('action-bar')).toHaveAttribute('data-actions', '');
    await expect(page.getByTestId('action-dispatch')).toHaveCount(0);
    await page.keyboard.press('d');
    await expect(page.getByTestId('dispatch-dialog')).toHaveCount(0);

    // forged: the same data service, asked directly over its socket
    // (the data service queues it: hostRpc throws unless the submit itself is answered ok)
    const forged = await hostRpc<{ entry: { mutationId: number } }>(baseURL!, 'commands/submit', { mutation: { name: 'event/command', eventId: order.eventId, command: { type: 'dispatch', leadUnitId: 'dept-cg' } } });
    expect(forged.entry.mutationId).toBeGreaterThan(0);
    const pending = page.getByTestId('pending-entry').last();
    await expect(pending).toHaveAttribute('data-state', 'rejected', { timeout: 30_000 });
    await expect(pending).toContainText('当前角色无权执行此操作');
    await expect(page.getByTestId('detail-status')).toHaveAttribute('data-status', 'filed');
  });
});
