/**
 * A real browser for the web page's tests: Debian's chromium driven by puppeteer-core (which
 * downloads no browser), and axe-core run inside the page. A missing chromium fails naming
 * its Debian package.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import puppeteer from 'puppeteer-core';
import type { Browser, Page } from 'puppeteer-core';
import { requireCommand } from './processes.js';

export async function launchChromium(command = 'chromium'): Promise<Browser> {
  const executablePath = requireCommand(command, 'chromium');
  // Chromium's sandbox cannot start as root (a container's test runner); it is the page under test, not the browser, that is checked.
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  return puppeteer.launch({ executablePath, headless: true, args: [...args, '--disable-dev-shm-usage', '--no-first-run'] });
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * axe-core's serious and critical violations on the page as it is now. axe is evaluated
 * through the DevTools protocol, which the page's Content-Security-Policy does not govern:
 * the policy stays as strict as it is for users.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  // The tests' TypeScript has no DOM types: code that runs in the page is given as text.
  return page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((result) => result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })))`) as Promise<AxeViolation[]>;
}

/** Records the page's Content-Security-Policy violations and script errors from its first moment. */
export async function watchPageProblems(page: Page): Promise<() => Promise<string[]>> {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`page error: ${(error as Error).message}`));
  await page.evaluateOnNewDocument(`window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`);
  return async () => [...errors, ...((await page.evaluate('window.__cspViolations')) as string[])];
}
