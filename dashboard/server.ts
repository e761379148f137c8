/**
 * The dashboard's HTTP routes (Hono): the page and its assets, the live feed
 * of snapshots as server-sent events, and one POST route per action.
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { Actions } from "./actions.ts";
import type { PageAssets } from "./page_assets.ts";

/** Gives the latest snapshot, and waits for the next one. */
export interface SnapshotSource {
  /** The current snapshot as JSON, and its version. */
  current(): { version: number; json: string };
  /** Resolves once the version passes `version`, or when `signal` aborts. */
  next(version: number, signal: AbortSignal): Promise<void>;
}

/**
 * Builds the app. `chartJson` is the stream machine's layout, sent once per
 * event stream; `closing` ends every open event stream (on shutdown).
 */
export function createApp(
  assets: PageAssets,
  snapshots: SnapshotSource,
  chartJson: string,
  actions: Actions,
  closing: AbortSignal,
): Hono {
  const app = new Hono();
  app.get("/", (c) => c.html(assets.html));
  app.get("/assets/app.js", (c) => c.body(assets.script, 200, { "content-type": JS }));
  app.get("/assets/app.css", (c) => c.body(assets.style, 200, { "content-type": CSS }));
  app.get("/favicon.ico", (c) => c.body(null, 204));
  app.get(
    "/api/snapshot",
    (c) => c.body(snapshots.current().json, 200, { "content-type": JSON_TYPE }),
  );

  app.get("/events", (c) =>
    streamSSE(c, async (stream) => {
      const done = AbortSignal.any([closing, c.req.raw.signal]);
      const aborted = new AbortController();
      stream.onAbort(() => aborted.abort());
      const signal = AbortSignal.any([done, aborted.signal]);
      await stream.writeSSE({ event: "chart", data: chartJson });
      let sent = -1;
      while (!signal.aborted) {
        const { version, json } = snapshots.current();
        if (version !== sent) {
          await stream.writeSSE({ event: "snapshot", data: json, id: String(version) });
          sent = version;
        }
        await snapshots.next(sent, signal);
      }
    }));

  type Body = Record<string, unknown>;
  const act = (path: string, run: (body: Body) => Promise<unknown> | unknown) =>
    app.post(`/api/${path}`, async (c) => {
      const body = { ...await c.req.json().catch(() => ({})) as Body, ...c.req.param() };
      try {
        return c.json({ ok: true, result: await run(body) });
      } catch (error) {
        const bad = error instanceof RangeError || error instanceof TypeError;
        return c.json({ ok: false, error: (error as Error).message }, bad ? 400 : 409);
      }
    });
  act("streams", (b) => actions.addStreams(num(b.count, 4)));
  act("events", (b) => actions.produceEvents(num(b.count, 20)));
  act("consumers", (b) => actions.startConsumer(b.runtime as string | undefined));
  act("consumers/:id/kill", (b) => actions.kill(String(b.id)));
  act("consumers/:id/stall", (b) => actions.stall(String(b.id)));
  act("autoclaim", (b) => actions.autoClaim(num(b.minIdleMs, 1000)));
  act("replay", (b) => actions.replayRange(str(b.start, "-"), str(b.end, "+")));
  act("trim", (b) => actions.trim(num(b.maxLen, 100)));
  act("dead-letters/replay", (b) => actions.replayDeadLetter(String(b.id)));
  return app;
}

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";
const JSON_TYPE = "application/json; charset=utf-8";

function num(value: unknown, fallback: number): number {
  return value === undefined || value === "" ? fallback : Number(value);
}

function str(value: unknown, fallback: string): string {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : fallback;
}
