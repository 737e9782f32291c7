// Debian's chromium driven by playwright-core (no browser download): a fresh profile per launch,
// every console error and page error collected, axe-core run inside the page, screenshots at
// desktop and phone widths into .cache/screenshots/ for a person to look at.
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { repoRoot } from "../helpers/cli.ts";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
export const SCREENSHOTS = path.join(repoRoot, ".cache/screenshots");

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

export interface Session {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** console errors and uncaught page errors, as text */
  errors: string[];
  close(): Promise<void>;
}

export async function openBrowser(): Promise<Session> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  // generous: the CI machine may be shared, and a page waits on model loads and runs
  page.setDefaultTimeout(120_000);
  page.setDefaultNavigationTimeout(120_000);
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`page: ${e.message}`));
  return { browser, context, page, errors, close: () => browser.close() };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousViolations(page: Page): Promise<string[]> {
  // evaluated through the debugger protocol, which the page's CSP does not govern
  await page.evaluate(`${AXE}\n;0`);
  const violations = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations)")) as AxeViolation[];
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Screenshots at desktop and phone widths: .cache/screenshots/<name>-desktop.png and -phone.png. */
export async function screenshots(page: Page, name: string): Promise<string[]> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const files: string[] = [];
  for (const [label, size] of [
    ["desktop", DESKTOP],
    ["phone", PHONE],
  ] as const) {
    await page.setViewportSize(size);
    await page.waitForTimeout(100);
    const file = path.join(SCREENSHOTS, `${name}-${label}.png`);
    await page.screenshot({ path: file, fullPage: false });
    files.push(file);
  }
  await page.setViewportSize(DESKTOP);
  return files;
}
