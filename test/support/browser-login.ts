import type { Page } from 'playwright-core';

/** Logs a teacher in through the gateway's home page and the simulated Guichet Agents, as she would. */
export async function browserLogin(page: Page, gatewayUrl: string, user: string, password: string): Promise<void> {
  await page.goto(gatewayUrl);
  await page.getByRole('link', { name: 'Se connecter avec le Guichet Agents' }).click();
  await page.fill('#login', user);
  await page.fill('#password', password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(`${gatewayUrl}/`);
}
