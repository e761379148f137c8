/**
 * The dashboard in a real browser (headless Chromium through playwright-core):
 * its buttons drive real failures and the page shows the takeovers as they happen.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { type Dashboard, runDashboard } from "../../dashboard/run_dashboard.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const HEARTBEAT_MS = 1000;
/**
 * From a kill to the page showing the new owner: the lock outlives its last beat by at most a
 * TTL, the sweeper or the reconciliation (every 2 s here) announces it, and the page hears of
 * the claim through the feed within a few hundred ms. Beyond this, failover failed.
 */
const FAILOVER_BOUND_MS = HEARTBEAT_MS + 2000 + 1500;
const DOCS_SCREENSHOT = fileURLToPath(new URL("../../docs/dashboard.png", import.meta.url));

/** The states of a card's history (`<at>:<state>` tokens) from `at` on. */
function statesSince(history: string, at: number): string {
  return history.split(" ").filter((token) => Number(token.split(":")[0]) >= at)
    .map((token) => token.split(":")[1]).join(" ");
}

const skip = existsSync(CHROMIUM)
  ? false
  : `Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (.ci/run does)`;

interface Card {
  readonly stream: string;
  readonly owner: string;
  readonly state: string;
  readonly history: string;
  readonly others: string;
}

describe("dashboard in a browser", { skip }, () => {
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  let shots: string;
  const requests: string[] = [];
  const log: string[] = [];

  before(async () => {
    const { chromium } = await import("playwright-core");
    shots = await mkdtemp(join(tmpdir(), "rsc-dashboard-shots-"));
    dashboard = await runDashboard({
      port: 0,
      consumers: 3,
      heartbeatMs: HEARTBEAT_MS,
      log: (line) => log.push(line),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on("request", (request) => requests.push(request.url()));
    await page.goto(dashboard.url);
  });

  after(async () => {
    await browser?.close();
    await dashboard?.close();
    if (shots) await rm(shots, { recursive: true, force: true });
  });

  const cards = (): Promise<Card[]> =>
    page.$$eval("[data-stream]", (elements) =>
      elements.map((e) => {
        const d = (e as HTMLElement).dataset;
        return {
          stream: d.stream!,
          owner: d.owner!,
          state: d.state!,
          history: d.history!,
          others: d.others!,
        };
      }));
  const consumers = () =>
    page.$$eval("[data-consumer]", (elements) =>
      elements.map((e) => {
        const d = (e as HTMLElement).dataset;
        return {
          id: d.consumer!,
          state: d.state!,
          streams: Number(d.streams),
          runtime: d.runtime!,
        };
      }));
  /** Waits until `check` holds for the page's stream cards. */
  const untilCards = async (check: (cards: Card[]) => boolean, timeoutMs: number, what: string) => {
    const deadline = Date.now() + timeoutMs;
    let last: Card[] = [];
    while (Date.now() < deadline) {
      last = await cards();
      if (check(last)) return last;
      await page.waitForTimeout(50);
    }
    assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(last)}`);
  };
  const owning = (card: Card) => card.state === "heartbeating" || card.state === "claimed";

  it("shows every consumer, on Node, Deno and Bun, and the streams they own", async () => {
    await untilCards(
      (all) => all.length === 12 && all.every((c) => c.state === "heartbeating"),
      60_000,
      "12 streams heartbeating",
    );
    const fleet = await consumers();
    assert.deepEqual(fleet.map((c) => c.runtime).sort(), ["bun", "deno", "node"]);
    assert.ok(fleet.every((c) => c.state === "alive"), JSON.stringify(fleet));
    assert.equal(fleet.reduce((n, c) => n + c.streams, 0), 12);
    // Each stream is drawn as the stream machine's statechart with its state lit.
    const lit = await page.$$eval(
      "[data-stream] svg .node.lit",
      (nodes) => nodes.map((n) => (n as SVGElement).dataset.state),
    );
    assert.deepEqual(lit, Array(12).fill("heartbeating"));
  });

  it("adds streams, produces events, replays, claims, starts a consumer and trims from its buttons", async () => {
    await page.getByRole("button", { name: "Add streams" }).click();
    await untilCards(
      (all) => all.length === 16 && all.every((c) => c.state === "heartbeating"),
      20_000,
      "16 streams heartbeating",
    );
    await page.getByRole("button", { name: "Produce events" }).click();
    // Every 7th event is poison: it fails twice and lands in the dead letters.
    const replay = page.getByRole("button", { name: /^Replay dead letter / }).first();
    await replay.waitFor({ timeout: 20_000 });
    await replay.click();
    await page.locator("#result", { hasText: /^replayed as \d+-\d+$/ }).waitFor({
      timeout: 10_000,
    });
    await page.getByRole("button", { name: "Replay range" }).click();
    await page.locator("#replay-output tbody tr").first().waitFor({ timeout: 10_000 });
    await page.getByRole("button", { name: "XAUTOCLAIM now" }).click();
    await page.locator("#result", { hasText: /^XAUTOCLAIM moved \d+ entries to / }).waitFor({
      timeout: 10_000,
    });
    await page.getByRole("combobox", { name: "Runtime" }).selectOption("deno");
    await page.getByRole("button", { name: "Start consumer" }).click();
    await page.locator('[data-consumer][data-runtime="deno"][data-state="alive"]').nth(1).waitFor({
      timeout: 30_000,
    });
    await page.getByRole("textbox", { name: "Trim to length" }).fill("5");
    await page.getByRole("button", { name: "Trim" }).click();
    await page.locator("#result", { hasText: /^trimmed \d+ entries$/ }).waitFor({
      timeout: 10_000,
    });
  });

  it("kill: each of the victim's streams changes owner on the page within the failover bound", async () => {
    const fleet = await consumers();
    const victim = fleet.reduce((a, b) => (b.streams > a.streams ? b : a));
    const orphaned = (await cards()).filter((c) => c.owner === victim.id).map((c) => c.stream);
    assert.ok(orphaned.length > 0);
    await page.getByRole("button", { name: `Kill ${victim.id}` }).click();
    const killedAt = Date.now();
    await untilCards(
      (all) =>
        orphaned.every((s) => {
          const card = all.find((c) => c.stream === s);
          return card !== undefined && card.owner !== victim.id && owning(card);
        }),
      FAILOVER_BOUND_MS,
      `${orphaned.join(", ")} owned by another consumer than ${victim.id}`,
    );
    const tookMs = Date.now() - killedAt;
    await page.locator(`[data-consumer="${victim.id}"][data-state="dead"]`).waitFor({
      timeout: 5000,
    });
    // The timeline lists each takeover with its delay from the kill.
    const timeline = await page.locator("#takeovers tbody tr").allInnerTexts();
    for (const stream of orphaned) {
      assert.ok(
        timeline.some((row) => row.includes(stream) && /\d+ ms\s*after kill/.test(row)),
        `${stream} in the timeline: ${timeline.join("\n")} (page caught up in ${tookMs} ms)`,
      );
    }
    await page.screenshot({ path: join(shots, "after-kill.png"), fullPage: true });
  });

  it("stall: the stalled consumer's streams go expired → claimed, and the woken consumer's are disowned", async () => {
    const fleet = (await consumers()).filter((c) => c.state === "alive" && c.streams > 0);
    const stalled = fleet.reduce((a, b) => (b.streams > a.streams ? b : a));
    const taken = (await cards()).filter((c) => c.owner === stalled.id).map((c) => c.stream);
    const stalledAt = Date.now();
    await page.getByRole("button", { name: `Stall ${stalled.id}` }).click();
    await page.locator(`[data-consumer="${stalled.id}"][data-state="stalled"]`).waitFor({
      timeout: 5000,
    });
    await untilCards(
      (all) =>
        taken.every((s) => {
          const card = all.find((c) => c.stream === s)!;
          const since = statesSince(card.history, stalledAt);
          return card.owner !== stalled.id && owning(card) && /expired.* claimed/.test(since);
        }),
      FAILOVER_BOUND_MS,
      `${taken.join(", ")} expired, then claimed by another consumer than ${stalled.id}`,
    );
    // SIGCONT after three TTLs: the woken consumer finds its locks taken.
    await untilCards(
      (all) =>
        taken.every((s) =>
          all.find((c) => c.stream === s)!.others.includes(`${stalled.id}:disowned`)
        ),
      3 * HEARTBEAT_MS + 5000,
      `${stalled.id} disowned from ${taken.join(", ")}`,
    );
    await page.locator(`[data-consumer="${stalled.id}"][data-state="alive"]`).waitFor({
      timeout: 5000,
    });
    await page.screenshot({ path: join(shots, "after-stall.png"), fullPage: true });
    // The overview for the README: consumers, streams, takeovers and orphans.
    const overview = join(shots, "overview.png");
    const timeline = (await page.locator("main > .columns").first().boundingBox())!;
    const height = Math.ceil(timeline.y + timeline.height + 16);
    await page.screenshot({
      path: overview,
      fullPage: true,
      clip: { x: 0, y: 0, width: 1400, height },
    });
    if (process.env.UPDATE_DASHBOARD_SCREENSHOT === "1") {
      await mkdir(join(DOCS_SCREENSHOT, ".."), { recursive: true });
      await copyFile(overview, DOCS_SCREENSHOT);
    }
  });

  it("made no request off 127.0.0.1", () => {
    const origin = new URL(dashboard.url).origin;
    const elsewhere = requests.filter((url) => !url.startsWith(origin + "/"));
    assert.ok(requests.length > 3, "the page made its requests");
    assert.deepEqual(elsewhere, []);
  });
});
