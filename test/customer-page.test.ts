import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_RESTAURANTS, isPricingError, linesTotal, priceLine, type CartLineRequest, type Menu, type PricedLine } from "../src/services/shared/menus.js";
import { CustomerPage } from "../src/sim/outputs/customer-page.js";
import { ScenarioRun } from "../src/sim/run.js";
import { UP_ROSTER } from "../src/sim/scenario/roster.js";
import { upScenario } from "../src/sim/scenario/scenario.js";
import type { RunReport, RunStart } from "../src/sim/telemetry/run-events.js";
import { launchBrowser, watchedPage } from "./helpers/browser.js";
import { gql } from "./helpers/graphql.js";
import { scratchDir } from "./helpers/nats.js";
import { waitFor } from "./helpers/wait.js";

declare const document: any;

const [MAIN, NAPOLI] = DEFAULT_RESTAURANTS;

function priced(menu: Menu, line: CartLineRequest): PricedLine {
  const p = priceLine(menu, line);
  if (isPricingError(p)) throw new Error(`${p.field} ${p.reason}`);
  return p;
}

/** A customer's details on the page, then a restaurant's menu. */
async function customerAt(page: Page, url: string, restaurant: string, who: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
  await page.fill("#name", who);
  await page.fill("#email", `${who.toLowerCase().replace(/\W/g, "")}@example.com`);
  await page.fill("#phone", "+39 081 555 0100");
  await page.click(`button[data-restaurant="${restaurant}"]`);
  await page.waitForSelector("#menu form.pizza");
}

async function addPizza(page: Page, item: string, line: { size: string; crust: string; toppings: string[]; quantity: number }): Promise<void> {
  const form = page.locator(`form.pizza[data-item="${item}"]`);
  await form.locator("select[name=size]").selectOption(line.size);
  await form.locator("select[name=crust]").selectOption(line.crust);
  for (const t of line.toppings) await form.locator(`input[name=topping][value="${t}"]`).check();
  await form.locator("input[name=quantity]").fill(String(line.quantity));
  const before = await page.locator("#cart-lines li").count();
  await form.locator("button[type=submit]").click();
  await page.waitForFunction((n) => document.querySelectorAll("#cart-lines li").length === n, before + 1);
}

async function placeOrder(page: Page): Promise<string> {
  await page.click("#checkout");
  const tracking = await page.waitForSelector("#tracking[data-order-number]", { state: "attached" });
  return (await tracking.getAttribute("data-order-number"))!;
}

const statusIs = (page: Page, status: string) => page.waitForSelector(`#tracking[data-status="${status}"]`, { state: "attached", timeout: 30_000 });

describe("the customer page, in a real browser against the real services", () => {
  const dir = scratchDir("customer-page");
  // Napoli is answered by its staff: on the page's board, not by the harness.
  const roster = {
    ...UP_ROSTER,
    restaurant: { ...UP_ROSTER.restaurant, port: 0, restaurants: [MAIN, { ...NAPOLI, acceptance: "manual" as const }] },
    reporting: { ...UP_ROSTER.reporting, port: 0 },
  };
  const pageServer = new CustomerPage();
  const run = new ScenarioRun({ scenario: upScenario({ timeScale: 100, heartbeatIntervalMs: 500, mode: "inprocess", cluster: 1, roster }), observe: true, runDir: dir, outputs: [pageServer] });
  let started: RunStart;
  run.once("start", (s) => (started = s));
  let url: string;
  let done: Promise<RunReport>;
  let browser: Browser;
  beforeAll(async () => {
    url = await pageServer.listen();
    done = run.run();
    browser = await launchBrowser();
    await waitFor(() => started, "the system to start");
  });
  afterAll(async () => {
    await browser?.close();
    run.finish();
    await done.catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it("orders a pizza with a size, a crust and toppings, shows the menu's price, and follows the order live to completed", async () => {
    const { page, requests, problems } = await watchedPage(browser, (u) => u.startsWith(url));
    await customerAt(page, url, "main", "Jane Doe");
    const pizza = { size: "L", crust: "stuffed", toppings: ["mushrooms", "basil"], quantity: 2 };
    await addPizza(page, "Margherita", pizza);
    await page.locator('form.fixed[data-item="Cola"] button[type=submit]').click();
    await page.waitForFunction(() => document.querySelectorAll("#cart-lines li").length === 2);
    // The total is the menu's price rule (the toppings in the menu's order, as the page sends them), the one the services and the checker use.
    const lines = [priced(MAIN.menu, { item: "Margherita", size: "L", crust: "stuffed", toppings: ["mushrooms", "basil"], quantity: 2 }), priced(MAIN.menu, { item: "Cola", quantity: 1 })];
    const total = linesTotal(lines);
    expect(await page.locator("[data-cart-total]").textContent()).toBe(total.toFixed(2));
    expect(await page.locator("#cart-lines [data-line-total]").allTextContents()).toEqual(lines.map((l) => linesTotal([l]).toFixed(2)));

    await page.selectOption("#order-type", "delivery");
    await page.fill("#address", "12 Via Roma, Napoli");
    const number = await placeOrder(page);
    // Live: the subscription moves the status along by itself, to the end.
    await statusIs(page, "completed");
    expect(await page.locator("#history li").last().getAttribute("data-status")).toBe("completed");
    expect(await page.locator("#steps li.done").count()).toBe(6);
    // The cart became the order: the page reads it again after the checkout.
    await page.waitForFunction(() => document.querySelector("[data-cart-total]").textContent === "0.00" && document.querySelectorAll("#cart-lines li").length === 0);
    const tracked = await gql(started.endpoints!.tracking[0], `{ order(number: "${number}") { status totalAmount orderType items { name quantity } } }`);
    expect(tracked.body.data.order).toMatchObject({ status: "completed", totalAmount: total, orderType: "delivery" });
    expect(tracked.body.data.order.items.map((i: { name: string; quantity: number }) => [i.name, i.quantity])).toEqual(lines.map((l) => [l.name, l.quantity]));

    const shot = join(dir, "customer-page.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect(existsSync(shot) && statSync(shot).size > 0).toBe(true);
    expect(requests.filter((u) => !u.startsWith(url))).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("asks nothing of any other origin: one self-contained page, its calls to its own server, which forwards them", async () => {
    const res = await fetch(url);
    const html = await res.text();
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(res.headers.get("content-security-policy")).toContain("connect-src 'self'");
    expect(html).not.toMatch(/https?:\/\/|\bsrc=|<link rel="stylesheet"/i); // no script, style or image from elsewhere
    const { page, requests, problems } = await watchedPage(browser, (u) => u.startsWith(url));
    await customerAt(page, url, "napoli", "Ada Lovelace");
    await page.click("#tab-board");
    await page.selectOption("#board-restaurant", "main");
    await page.waitForFunction(() => document.querySelector("#board-mode")?.textContent?.includes("Automatic"));
    await waitFor(() => requests.some((u) => u.includes("/api/tracking/graphql")), "the board's subscription");
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.filter((u) => !u.startsWith(url))).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
    // The forwarder passes only the page's three services, and a service's answer as it is.
    expect((await fetch(`${url}api/order/orders`)).status).toBe(404);
    const unknown = await fetch(`${url}api/restaurant/restaurants/nowhere`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toBe("restaurant_not_found");
    const bad = await fetch(`${url}api/customer/customers`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "X" }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { field: string }).field).toBe("email");
  });

  it("lets a manual restaurant's staff accept, mark ready and reject on the board, and the customer sees each order proceed", async () => {
    // Napoli's kitchen cooks slowly, so the order is on its stove when the staff mark it ready.
    const slowed = await run.inject({ kind: "slow_kitchen", target: "kitchen/chef_sofia", params: { factor: 1000 } });
    expect(slowed.error ?? null).toBeNull();
    const { page, requests, problems } = await watchedPage(browser, (u) => u.startsWith(url));
    await customerAt(page, url, "napoli", "Mario Rossi");
    await addPizza(page, "Marinara", { size: "S", crust: "wholemeal", toppings: ["nduja"], quantity: 1 });
    const accepted = await placeOrder(page);
    await statusIs(page, "paid");

    await page.click("#tab-board");
    await page.selectOption("#board-restaurant", "napoli");
    expect(await page.locator("#board-mode").textContent()).toContain("Manual");
    // Paid and waiting: nobody but the staff answers it.
    await page.locator(`#waiting li[data-order="${accepted}"] button[data-act=accept]`).click();
    await page.waitForSelector(`#kitchen li[data-order="${accepted}"][data-status="cooking"]`);
    expect(await page.locator(`#waiting li[data-order="${accepted}"]`).count()).toBe(0);
    await page.locator(`#kitchen li[data-order="${accepted}"] button[data-act=ready]`).click();
    await statusIs(page, "completed");
    const seen = await page.locator("#history li").evaluateAll((lis: any[]) => lis.map((li) => li.getAttribute("data-status")));
    expect(seen.slice(seen.indexOf("accepted"))).toEqual(["accepted", "cooking", "ready", "completed"]);
    await page.waitForSelector(`#kitchen li[data-order="${accepted}"]`, { state: "detached" });

    // A second order, turned down: refunded, cancelled.
    await page.click("#tab-order");
    await addPizza(page, "Diavola", { size: "M", crust: "neapolitan", toppings: [], quantity: 1 });
    const rejected = await placeOrder(page);
    await statusIs(page, "paid");
    await page.click("#tab-board");
    await page.locator(`#waiting li[data-order="${rejected}"] button[data-act=reject]`).click();
    await statusIs(page, "cancelled");
    expect(await page.locator("#history li").evaluateAll((lis: any[]) => lis.map((li) => li.getAttribute("data-status")))).toContain("rejected");
    await page.screenshot({ path: join(dir, "restaurant-board.png"), fullPage: true });
    expect(existsSync(join(dir, "restaurant-board.png"))).toBe(true);
    expect(requests.filter((u) => !u.startsWith(url))).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();

    // The page's orders are checked like the harness's own: placed elsewhere, each judged, no finding.
    run.finish();
    const report = await done;
    expect(report.orders).toMatchObject({ sent: 0, placedElsewhere: 3, completed: 2, cancelled: 1 });
    expect(report.verdict.collected.checkouts).toBe(3);
    expect(report.verdict.valid, JSON.stringify(report.verdict.findings)).toBe(true);
  });
});
