import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

/** Debian's chromium (scripts/setup.sh --tests installs it); PIZZERIA_CHROMIUM points elsewhere. */
export function chromiumPath(): string {
  const path = process.env.PIZZERIA_CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(path)) throw new Error(`no Chromium at ${path}: run \`npm test\` (scripts/setup.sh --tests installs Debian's chromium) or set PIZZERIA_CHROMIUM`);
  return path;
}

/** A real headless Chromium: one per test file (starting one takes a second of a shared core). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
}

export interface WatchedPage {
  page: Page;
  /** Every URL the page asked for. */
  requests: string[];
  /** Console errors and warnings, and uncaught page errors. */
  problems: string[];
}

/**
 * A fresh page that records every request it makes and every console error. `allow(url)` says
 * which requests may reach the network (the rest are aborted, so nothing leaves the machine even
 * when a page misbehaves); all of them are recorded either way.
 */
export async function watchedPage(browser: Browser, allow: (url: string) => boolean): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  const requests: string[] = [];
  const problems: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.route("**/*", (route) => (allow(route.request().url()) ? route.continue() : route.abort()));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  return { page, requests, problems };
}
