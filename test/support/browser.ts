import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';

/**
 * The teacher's browser in tests: Debian's chromium driven by playwright-core, and the checks every
 * teacher page must pass (ADR 015): axe-core with zero violations, no page wider than the viewport
 * at 360 px, a screenshot of each step for a human reviewer (git-ignored `test-artifacts/`).
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const WIDTHS = [360, 1280] as const;
export const SCREENSHOTS = resolve(__dirname, '..', '..', 'test-artifacts', 'screenshots');
const AXE = require.resolve('axe-core/axe.min.js');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/**
 * A context whose pages carry axe-core, injected by the browser itself before any page script
 * (an init script is not subject to the page's CSP, which allows this origin's scripts only).
 */
export async function auditedContext(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
  const ctx = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1280, height: 900 }, ...options });
  await ctx.addInitScript({ path: AXE });
  return ctx;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; html: string }[];
}

/** axe-core's WCAG 2.x A/AA rules and best practices on the whole page; violations, summarised. */
export async function axeViolations(page: Page): Promise<string[]> {
  const violations = await page.evaluate(async () => {
    const g = globalThis as unknown as { document: unknown; axe: { run(ctx: unknown, o: object): Promise<{ violations: AxeViolation[] }> } };
    const result = await g.axe.run(g.document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, html: n.html })) }));
  });
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} ${n.html.slice(0, 160)}`).join(' | ')}`);
}

/** How much wider than the viewport the page is (0 when it fits). */
export async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => {
    const g = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number }; body: { scrollWidth: number } } };
    return Math.max(g.document.documentElement.scrollWidth, g.document.body.scrollWidth) - g.innerWidth;
  });
}

export interface AuditResult {
  page: string;
  width: number;
  violations: string[];
  overflow: number;
}

/**
 * Every step of the journey, at 360 and 1280 px: axe, overflow, screenshot. Returns what was found
 * so that the test asserts on all pages at once and names each one that fails.
 */
export async function auditPage(page: Page, name: string, results: AuditResult[]): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const original = page.viewportSize();
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: width === 360 ? 780 : 900 });
    const violations = await axeViolations(page);
    const overflow = await horizontalOverflow(page);
    results.push({ page: name, width, violations, overflow });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
  }
  if (original) await page.setViewportSize(original);
}
