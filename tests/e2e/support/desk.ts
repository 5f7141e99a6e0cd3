/**
 * The duty officer's desk in a page: signing in on the workstation view as a
 * demo account (reusing the session the page already holds when it is that
 * account's, signing the other one out first otherwise).
 */
import { expect, type Page } from '@playwright/test';
import { DEMO_PASSWORD } from './datacenter';

export async function signInDesk(page: Page, login: string): Promise<void> {
  await page.goto('/?mode=workstation&lang=zh-CN');
  const officer = page.getByTestId('officer');
  // the session is read after the page loads: wait for the login form or the signed-in officer
  await expect(officer.or(page.getByTestId('login-name'))).toBeVisible({ timeout: 60_000 });
  if (await officer.isVisible()) {
    if ((await officer.getAttribute('data-login')) === login) return;
    await page.getByTestId('logout').click();
    await page.getByTestId('logout-confirm').click();
  }
  await page.getByTestId('login-name').fill(login);
  await page.getByTestId('login-password').fill(DEMO_PASSWORD);
  await page.getByTestId('login-password').press('Enter');
  await expect(page.getByTestId('workstation')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('officer')).toHaveAttribute('data-login', login);
}
