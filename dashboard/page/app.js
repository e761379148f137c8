// The dashboard page: renders each snapshot the server pushes (server-sent events).
// No dependencies: the statecharts are drawn from the layout the server computed.

const $ = (id) => document.getElementById(id);
const esc = (value) => String(value ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const ms = (n) => (n === null || n === undefined ? "—" : `${Math.round(n).toLocaleString()} ms`);
const clock = (at) => {
  const d = new Date(at);
  return `${d.toLocaleTimeString([], { hour12: false })}.${
    String(d.getMilliseconds()).padStart(3, "0")
  }`;
};

let chart = null;
let snapshot = null;

// ---- server-sent events ------------------------------------------------------------------------

const events = new EventSource("/events");
events.addEventListener("chart", (e) => {
  chart = JSON.parse(e.data);
  $("machine").innerHTML = chartSvg(chart.full, { labels: true, title: "stream machine" });
});
events.addEventListener("snapshot", (e) => {
  snapshot = JSON.parse(e.data);
  render(snapshot);
});
events.addEventListener("open", () => setLive(true));
events.addEventListener("error", () => setLive(false));

function setLive(on) {
  const live = $("live");
  live.textContent = on ? "live" : "reconnecting";
  live.classList.toggle("on", on);
}

// ---- actions -----------------------------------------------------------------------------------

async function act(path, body = {}) {
  const result = $("result");
  result.textContent = "…";
  try {
    const response = await fetch(`/api/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const reply = await response.json();
    result.textContent = reply.ok ? describe(path, reply.result) : `refused: ${reply.error}`;
    result.className = reply.ok ? "ok" : "error";
    return reply;
  } catch (error) {
    result.textContent = `failed: ${error.message}`;
    result.className = "error";
  }
}

function describe(path, r) {
  if (path === "streams") return `added ${r.added.join(", ")}`;
  if (path === "events") return `produced ${r.ids.length} events`;
  if (path === "consumers") return `started ${r.id} (pid ${r.pid})`;
  if (path.endsWith("/kill")) return `killed ${r.id} (SIGKILL)`;
  if (path.endsWith("/stall")) {
    return `stalled ${r.id} (SIGSTOP, SIGCONT in ${ms(r.stalledUntil - r.stalledAt)})`;
  }
  if (path === "autoclaim") return `XAUTOCLAIM moved ${r.claimed.length} entries to ${r.to}`;
  if (path === "replay") return `replayed ${r.entries.length} entries`;
  if (path === "trim") return `trimmed ${r.removed} entries`;
  if (path === "dead-letters/replay") return `replayed as ${r.newId}`;
  return "done";
}

$("add-streams").addEventListener("click", () => act("streams", { count: 4 }));
$("produce-events").addEventListener("click", () => act("events", { count: 20 }));
$("start-consumer").addEventListener(
  "click",
  () => act("consumers", { runtime: $("runtime").value }),
);
$("autoclaim").addEventListener("click", () => act("autoclaim", { minIdleMs: 1000 }));
$("trim").addEventListener("click", () => act("trim", { maxLen: $("trim-maxlen").value }));
$("replay-range").addEventListener("click", async () => {
  const reply = await act("replay", { start: $("replay-start").value, end: $("replay-end").value });
  if (reply?.ok) renderReplay(reply.result.entries);
});
document.addEventListener("click", (e) => {
  const button = e.target.closest("button[data-action]");
  if (!button) return;
  const { action, id } = button.dataset;
  if (action === "kill") act(`consumers/${encodeURIComponent(id)}/kill`);
  if (action === "stall") act(`consumers/${encodeURIComponent(id)}/stall`);
  if (action === "replay-dead-letter") act("dead-letters/replay", { id });
});

// ---- rendering ---------------------------------------------------------------------------------

function render(s) {
  $("about").innerHTML = `service <b>${esc(s.service)}</b> · redis ${esc(s.redisUrl)}${
    s.ownRedis ? " (its own)" : ""
  } · lock TTL ${ms(s.heartbeatMs)} · stall ${ms(s.stallMs)} · ${s.feedEntries} feed entries`;
  renderConsumers(s.consumers);
  renderStreams(s.streams);
  setHtml("takeovers", takeoversHtml(s));
  setHtml("orphans", orphansHtml(s.orphans));
  setHtml("lbs", lbsHtml(s.lbs));
  setHtml("index", indexHtml(s.index));
  setHtml(
    "data-streams",
    s.dataStreams.map(dataStreamHtml).join("") || empty("no data streams yet"),
  );
}

/** Replaces a section's HTML only when it changed, so focus and clicks are not lost. */
function setHtml(id, html) {
  const element = $(id);
  if (element.dataset.html === html) return;
  element.dataset.html = html;
  element.innerHTML = html;
}

const empty = (text) => `<p class="empty">${esc(text)}</p>`;

/** Keyed children: one element per key, created once, updated in place, removed when gone. */
function keyed(container, items, keyOf, create, update) {
  const existing = new Map([...container.children].map((el) => [el.dataset.key, el]));
  let previous = null;
  for (const item of items) {
    const key = keyOf(item);
    let element = existing.get(key);
    if (!element) {
      element = create(item);
      element.dataset.key = key;
    }
    existing.delete(key);
    update(element, item);
    const next = previous ? previous.nextSibling : container.firstChild;
    if (element !== next) container.insertBefore(element, next);
    previous = element;
  }
  for (const element of existing.values()) element.remove();
}

function renderConsumers(consumers) {
  const container = $("consumers");
  if (consumers.length === 0) {
    container.innerHTML = empty("no consumers: start one");
    return;
  }
  container.querySelector(".empty")?.remove();
  keyed(container, consumers, (c) => c.id, (c) => {
    const card = document.createElement("article");
    card.className = "consumer";
    card.innerHTML =
      `<header><span class="runtime"></span><h3></h3><span class="state"></span></header>
      <dl><dt>pid</dt><dd class="pid"></dd><dt>streams</dt><dd class="count"></dd><dt>beat due</dt><dd class="due"></dd></dl>
      <div class="buttons"></div>`;
    card.querySelector("h3").textContent = c.id;
    return card;
  }, (card, c) => {
    card.dataset.consumer = c.id;
    card.dataset.state = c.state;
    card.dataset.streams = String(c.streams);
    card.dataset.runtime = c.runtime ?? "";
    const runtime = card.querySelector(".runtime");
    runtime.textContent = c.runtime ?? "?";
    runtime.className = `runtime ${c.runtime ?? ""}`;
    const state = card.querySelector(".state");
    state.textContent = c.state === "stalled" && c.stalledUntil
      ? `stalled · ${Math.max(0, Math.ceil((c.stalledUntil - snapshot.at) / 1000))} s`
      : c.state;
    state.className = `state ${c.state}`;
    card.querySelector(".pid").textContent = c.pid ?? "—";
    card.querySelector(".count").textContent = c.streams;
    card.querySelector(".due").textContent = c.dueInMs === null ? "—" : ms(c.dueInMs);
    const buttons = card.querySelector(".buttons");
    const can = c.managed && (c.state === "alive" || c.state === "stalled");
    const wanted = c.managed ? `${can}:${c.state}` : "none";
    if (buttons.dataset.wanted !== wanted) {
      buttons.dataset.wanted = wanted;
      buttons.innerHTML = c.managed
        ? `<button type="button" class="danger" data-action="kill" data-id="${esc(c.id)}"
             aria-label="Kill ${esc(c.id)}" ${can ? "" : "disabled"}>Kill</button>
           <button type="button" data-action="stall" data-id="${esc(c.id)}"
             aria-label="Stall ${esc(c.id)}" ${
          c.state === "alive" ? "" : "disabled"
        }>Stall</button>`
        : `<span class="muted">not started here</span>`;
    }
  });
}

function renderStreams(streams) {
  const container = $("streams");
  if (streams.length === 0) {
    container.innerHTML = empty("no streams yet: add some");
    return;
  }
  container.querySelector(".empty")?.remove();
  keyed(container, streams, (s) => s.key, (s) => {
    const card = document.createElement("article");
    card.className = "stream";
    card.innerHTML = `<header><h3></h3><span class="state"></span></header>
      <p class="owner"></p><div class="chart">${
      chart ? chartSvg(chart.compact, { title: s.name }) : ""
    }</div>
      <ol class="trail"></ol><p class="others"></p>`;
    card.querySelector("h3").textContent = s.name;
    return card;
  }, (card, s) => {
    if (!card.querySelector(".chart svg") && chart) {
      card.querySelector(".chart").innerHTML = chartSvg(chart.compact, { title: s.name });
    }
    const changed = card.dataset.state !== s.state || card.dataset.owner !== (s.owner ?? "");
    card.dataset.stream = s.name;
    card.dataset.owner = s.owner ?? "";
    card.dataset.state = s.state;
    card.dataset.fence = String(s.fence);
    card.dataset.history = s.history.map((t) => `${t.at}:${t.to}`).join(" ");
    card.dataset.others = Object.entries(s.others).map(([c, st]) => `${c}:${st}`).join(" ");
    const state = card.querySelector(".state");
    state.textContent = s.source === "redis" && s.state === "expired"
      ? "expired (lock gone)"
      : s.state;
    state.className = `state ${s.state}`;
    card.querySelector(".owner").innerHTML = `owner <b>${esc(s.owner ?? "none")}</b> · fence ${
      esc(s.fence)
    }${s.lockTtlMs !== null ? ` · lock ${ms(s.lockTtlMs)}` : ""}${
      s.deliveries !== null ? ` · delivered ${s.deliveries}×` : ""
    }`;
    card.querySelector(".trail").innerHTML = s.history.slice(-6).map((t) =>
      `<li class="${esc(t.to)}" title="${
        esc(`${clock(t.at)} ${t.consumer}: ${t.from || "·"} → ${t.to} (${t.event})`)
      }">${
        esc(t.consumer === s.owner || t.consumer === "redis" ? t.to : `${t.consumer}: ${t.to}`)
      }</li>`
    ).join("");
    card.querySelector(".others").innerHTML = Object.entries(s.others).map(([c, st]) =>
      `<span class="chip ${esc(st)}">${esc(c)} · ${esc(st)}</span>`
    ).join("");
    light(card.querySelector("svg"), s);
    if (changed) {
      card.classList.remove("moved");
      void card.offsetWidth; // restart the animation
      card.classList.add("moved");
    }
  });
}

/** Lights the owner's current state and the transition that led there. */
function light(svg, s) {
  if (!svg) return;
  for (const node of svg.querySelectorAll(".node")) {
    node.classList.toggle("lit", node.dataset.state === s.state);
    node.classList.toggle(s.state, node.dataset.state === s.state);
  }
  const last = [...s.history].reverse().find((t) => t.consumer === s.owner || s.source === "redis");
  const path = last ? pathBetween(last.from || chart.compact.initial, last.to) : [];
  for (const edge of svg.querySelectorAll(".edge")) {
    const on = path.some(([a, b]) => edge.dataset.from === a && edge.dataset.to === b);
    edge.classList.toggle("lit", on);
    edge.querySelector("path").setAttribute("marker-end", on ? "url(#arrow-lit)" : "url(#arrow)");
  }
  const moved = `${last?.at}:${last?.to}`;
  if (svg.dataset.moved !== moved) {
    svg.dataset.moved = moved;
    travel(svg, path);
  }
}

const SVG = "http://www.w3.org/2000/svg";

/** A token that travels the transition's edges, one after the other: the actor moving. */
function travel(svg, path) {
  svg.querySelectorAll(".token").forEach((token) => token.remove());
  path.forEach(([from, to], i) => {
    const edge = svg.querySelector(`.edge[data-from="${from}"][data-to="${to}"] path`);
    if (!edge) return;
    const token = document.createElementNS(SVG, "circle");
    token.setAttribute("class", "token");
    token.setAttribute("r", "4");
    token.setAttribute("cx", "-20");
    const motion = document.createElementNS(SVG, "animateMotion");
    motion.setAttribute("dur", "0.6s");
    motion.setAttribute("begin", "indefinite");
    motion.setAttribute("fill", "remove");
    motion.setAttribute("path", edge.getAttribute("d"));
    motion.addEventListener("endEvent", () => token.remove());
    token.appendChild(motion);
    svg.appendChild(token);
    setTimeout(() => motion.beginElement(), i * 600);
  });
}

/** The edges from one state to another, through a transient state when there is no direct one. */
function pathBetween(from, to) {
  const edges = chart.compact.edges;
  if (edges.some((e) => e.from === from && e.to === to)) return [[from, to]];
  for (const middle of chart.compact.nodes.filter((n) => n.transient)) {
    const a = edges.some((e) => e.from === from && e.to === middle.id);
    const b = edges.some((e) => e.from === middle.id && e.to === to);
    if (a && b) return [[from, middle.id], [middle.id, to]];
  }
  return [];
}

function curve(points) {
  if (points.length < 3) return `M${points.map((p) => `${p.x},${p.y}`).join(" L")}`;
  let d = `M${points[0].x},${points[0].y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i];
    const next = points[i + 1];
    const end = i === points.length - 2 ? next : { x: (p.x + next.x) / 2, y: (p.y + next.y) / 2 };
    d += ` Q${p.x},${p.y} ${end.x},${end.y}`;
  }
  return d;
}

function chartSvg(layout, { labels = false, title }) {
  const edges = layout.edges.map((e) =>
    `<g class="edge" data-from="${esc(e.from)}" data-to="${esc(e.to)}">
       <path d="${curve(e.points)}" marker-end="url(#arrow)"></path>
       ${labels ? `<text x="${e.labelAt.x}" y="${e.labelAt.y + 3}">${esc(e.label)}</text>` : ""}
     </g>`
  ).join("");
  const nodes = layout.nodes.map((n) =>
    `<g class="node${n.final ? " final" : ""}${n.transient ? " transient" : ""}" data-state="${
      esc(n.id)
    }">
       <rect x="${n.x - n.width / 2}" y="${
      n.y - n.height / 2
    }" width="${n.width}" height="${n.height}"
         rx="${n.transient ? n.height / 2 : 6}"></rect>
       <text x="${n.x}" y="${n.y + 4}">${esc(n.id)}</text>
     </g>`
  ).join("");
  return `<svg viewBox="0 0 ${layout.width} ${layout.height}" role="img"
    aria-label="${esc(title)} statechart">${edges}${nodes}</svg>`;
}

function table(headers, rows, emptyText) {
  if (rows.length === 0) return empty(emptyText);
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>
    <tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")
  }</tbody></table>`;
}

function takeoversHtml(s) {
  const bound = s.heartbeatMs;
  return table(
    ["at", "stream", "from → to", "fence", "delay", ""],
    s.takeovers.slice(0, 16).map((t) => [
      clock(t.at),
      `<b>${esc(t.stream)}</b>`,
      `${esc(t.from)} → ${esc(t.to)}`,
      esc(t.fence),
      t.delayMs === null ? "—" : `${ms(t.delayMs)} <small>after ${esc(t.cause)}</small>`,
      t.delayMs === null
        ? ""
        : `<span class="bar" style="--w:${
          Math.min(100, (t.delayMs / (4 * bound)) * 100)
        }%" title="lock TTL is a quarter of the bar"></span>`,
    ]),
    "no takeover yet: kill or stall a consumer",
  );
}

function orphansHtml(orphans) {
  return table(
    ["at", "stream", "LBS id"],
    orphans.slice(0, 16).map((o) => [clock(o.at), esc(o.stream), `<code>${esc(o.idInLbs)}</code>`]),
    "none announced",
  );
}

function lbsHtml(lbs) {
  if (!lbs) return empty("reading…");
  const summary =
    `<p class="summary"><span><b>${lbs.length}</b> entries</span><span><b>${lbs.pendingCount}</b> pending</span><span><b>${
      lbs.lag ?? "?"
    }</b> lag</span><span><b>${lbs.deadLetters}</b> dead letters</span></p>`;
  return summary + scroll(table(
    ["entry", "stream", "pending at", "lock holder", "lock TTL", "idle", "deliveries"],
    lbs.pending.map((p) => [
      `<code>${esc(p.id)}</code>`,
      esc(p.dataStreamName),
      esc(p.consumer),
      p.lockHolder === null ? `<span class="warn">no lock</span>` : esc(p.lockHolder),
      ms(p.lockTtlMs),
      ms(p.idleMs),
      esc(p.deliveries),
    ]),
    "nothing pending",
  ));
}

function indexHtml(index) {
  return table(
    ["client (lock-value prefix)", "beat due in"],
    index.map((m) => [
      `<code>${esc(m.client)}</code>`,
      m.dueInMs >= 0 ? ms(m.dueInMs) : `<span class="warn">overdue ${ms(-m.dueInMs)}</span>`,
    ]),
    "no live client",
  );
}

function dataStreamHtml(d) {
  const groups = table(
    ["group", "consumers", "pending", "lag", "last delivered"],
    d.groups.map((g) => [
      `<b>${esc(g.name)}</b>`,
      esc(g.consumers),
      esc(g.pending),
      esc(g.lag ?? "?"),
      `<code>${esc(g.lastDeliveredId)}</code>`,
    ]),
    "no groups",
  );
  const consumers = table(
    ["group", "consumer", "pending", "idle"],
    d.groups.flatMap((g) =>
      g.consumerList.map((c) => [esc(g.name), esc(c.name), esc(c.pending), ms(c.idleMs)])
    ),
    "no consumers",
  );
  const deadLetters = table(
    ["dead letter", "reason", "attempts", "replays", "error", ""],
    d.deadLetters.map((l) => [
      `<code>${esc(l.id)}</code>`,
      `<span class="chip disowned">${esc(l.reason)}</span>`,
      esc(l.totalAttempts),
      esc(l.replayCount),
      esc(l.lastError),
      `<button type="button" data-action="replay-dead-letter" data-id="${esc(l.id)}"
         aria-label="Replay dead letter ${esc(l.id)}">Replay</button>`,
    ]),
    "no dead letters",
  );
  return `<article class="data-stream"><h3>${esc(d.name)} <small>${d.length} entries · last <code>${
    esc(d.lastEntryId ?? "—")
  }</code> · ${d.deadLetterCount} dead letters</small></h3>
    <div class="columns three"><div>${groups}</div><div>${consumers}</div><div>${deadLetters}</div></div></article>`;
}

function renderReplay(entries) {
  $("replay-output").innerHTML =
    `<h3>Replayed range <small>${entries.length} entries, no group's cursor moved</small></h3>` +
    scroll(table(
      ["id", "type", "payload"],
      entries.map((
        e,
      ) => [
        `<code>${esc(e.id)}</code>`,
        esc(e.fields.type),
        `<code>${esc(e.fields.payload)}</code>`,
      ]),
      "empty range",
    ));
}

const scroll = (html) => `<div class="scroll">${html}</div>`;
