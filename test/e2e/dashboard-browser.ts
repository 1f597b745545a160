// Debian's Chromium driven by playwright-core for the dashboard's tests: one page that records what a user
// would not want to see (a request to another origin, a Content-Security-Policy refusal, an uncaught error),
// screenshots at desktop and phone widths under test-output/dashboard/, and axe-core's accessibility rules.
import fs from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../support/stack.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SHOTS_DIR = path.join(ROOT, 'test-output', 'dashboard');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

export interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

export interface DashboardBrowser {
  browser: Browser;
  page: Page;
  /** Requests to another origin, CSP refusals and page errors seen so far. */
  problems: string[];
  /** Screenshots of the page as it is now, desktop and phone, and axe-core's serious or critical violations there. */
  look(name: string): Promise<Violation[]>;
  close(): Promise<void>;
}

export async function openDashboardBrowser(origin: string): Promise<DashboardBrowser> {
  await fs.mkdir(SHOTS_DIR, { recursive: true });
  const axeSource = await fs.readFile(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.protocol !== 'data:' && url.origin !== origin) problems.push(`request to another origin: ${req.url()}`);
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));

  const look = async (name: string): Promise<Violation[]> => {
    await page.screenshot({ path: path.join(SHOTS_DIR, `${name}-desktop.png`), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: path.join(SHOTS_DIR, `${name}-phone.png`), fullPage: true });
    await page.setViewportSize(DESKTOP);
    // Evaluated through the DevTools protocol, which the page's CSP does not govern; the page's own scripts are.
    await page.evaluate(axeSource);
    const violations = (await page.evaluate(
      `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })))`,
    )) as Violation[];
    return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  };

  return { browser, page, problems, look, close: () => browser.close() };
}
