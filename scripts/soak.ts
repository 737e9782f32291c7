// npm run soak -- [--minutes 10] [--concurrency 8] [--json]
//
// Drives a real `hearth serve` (the CLI, in its own process, models in runner processes) for a set
// time with a mix of requests across routes and dialects, streamed and not, some aborted mid-stream,
// bursts past the queue, malformed bodies, and one runner killed with SIGKILL partway. Reports
// requests, status counts, errors that were not the client's fault (goal: zero), p50/p95 latency per
// kind, what a queued request costs the server, and the server's and runners' memory and open file
// descriptors after warm-up and at the end (goal: no growth beyond the bound printed). Sockets are
// counted apart: idle keep-alive connections stay open as long as the client keeps them.
import { parseArgs } from "node:util";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureFixture } from "../fixtures/index.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    concurrency: { type: "string", default: "8" },
    json: { type: "boolean", default: false },
  },
});
const durationMs = Number(values.minutes) * 60_000;
const concurrency = Number(values.concurrency);
if (!(durationMs > 0) || !(concurrency > 0)) throw new Error("--minutes and --concurrency must be positive numbers");
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const log = (s: string) => process.stderr.write(`${s}\n`);

// --- the server -----------------------------------------------------------------------------------
const home = mkdtempSync(path.join(os.tmpdir(), "hearth-soak-"));
const tiny = await ensureFixture("tiny");
const embed = await ensureFixture("embed");
const PARALLEL = 2;
const QUEUE = 64;
const server = spawn(
  process.execPath,
  [
    path.join(root, "bin/hearth.js"),
    "serve",
    tiny,
    embed,
    "ocr",
    "--port",
    "0",
    "--parallel",
    String(PARALLEL),
    "--queue",
    String(QUEUE),
    "--threads",
    "1",
    "--quiet",
  ],
  { env: { ...process.env, HEARTH_HOME: home }, stdio: ["ignore", "pipe", "inherit"] },
);
const base = await new Promise<string>((resolve, reject) => {
  let out = "";
  server.stdout!.on("data", (d) => {
    out += d;
    const m = /serving on (http:\/\/\S+?)\s/.exec(out);
    if (m) resolve(m[1]);
  });
  server.once("exit", (code) => reject(new Error(`hearth serve exited (${code}) before listening`)));
});
const TINY = path.basename(tiny, ".gguf");
const EMBED = path.basename(embed, ".gguf");
for (;;) {
  const h = (await (await fetch(`${base}/health`)).json()) as { status: string };
  if (h.status === "ready") break;
  if (h.status === "unhealthy") throw new Error(`the server did not load its models: ${JSON.stringify(h)}`);
  await new Promise((r) => setTimeout(r, 200));
}
log(`soak: ${base}, ${values.minutes} min, ${concurrency} clients, parallel ${PARALLEL}, queue ${QUEUE}`);

// --- processes: memory and descriptors -------------------------------------------------------------
function childrenOf(pid: number): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map(Number)
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}
function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}
/** Open descriptors other than sockets (a client's idle keep-alive connections are its choice). */
function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      return !readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:");
    } catch {
      return false;
    }
  }).length;
}
const socketCount = (pid: number) => readdirSync(`/proc/${pid}/fd`).length - fdCount(pid);
interface Sample {
  serverRss: number;
  serverFds: number;
  serverSockets: number;
  runnersRss: number;
  runnersFds: number;
  runners: number;
}
function sample(): Sample {
  const kids = childrenOf(server.pid!);
  const alive = kids.filter((k) => {
    try {
      rssBytes(k);
      return true;
    } catch {
      return false;
    }
  });
  return {
    serverRss: rssBytes(server.pid!),
    serverFds: fdCount(server.pid!),
    serverSockets: socketCount(server.pid!),
    runnersRss: alive.reduce((s, k) => s + rssBytes(k), 0),
    runnersFds: alive.reduce((s, k) => s + fdCount(k), 0),
    runners: alive.length,
  };
}

// --- requests --------------------------------------------------------------------------------------
const png = readFileSync(path.join(root, "examples/hello.png"));
const json = (body: unknown) => ({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const chat = (extra: object = {}) => ({ model: TINY, messages: [{ role: "user", content: "tell me a story" }], max_tokens: 24, ...extra });

interface Kind {
  name: string;
  weight: number;
  /** statuses the client caused or expects (a malformed body's 400, a burst's 429) */
  expected?: number[];
  send(signal: AbortSignal): Promise<Response>;
  /** read only this many bytes of a stream, then abort it */
  abortAfterBytes?: number;
}
const KINDS: Kind[] = [
  { name: "chat", weight: 10, send: (signal) => fetch(`${base}/v1/chat/completions`, { ...json(chat()), signal }) },
  { name: "chat-stream", weight: 10, send: (signal) => fetch(`${base}/v1/chat/completions`, { ...json(chat({ stream: true })), signal }) },
  {
    name: "chat-stream-aborted",
    weight: 5,
    abortAfterBytes: 1,
    send: (signal) =>
      fetch(`${base}/v1/chat/completions`, { ...json(chat({ stream: true, max_tokens: 400, grammar: "root ::= [a-z]{390}" })), signal }),
  },
  {
    name: "responses",
    weight: 4,
    send: (signal) =>
      fetch(`${base}/v1/responses`, {
        ...json({ model: TINY, input: "tell me a story", max_output_tokens: 24, stream: Math.random() < 0.5 }),
        signal,
      }),
  },
  {
    name: "messages",
    weight: 4,
    send: (signal) =>
      fetch(`${base}/v1/messages`, {
        ...json({ model: TINY, max_tokens: 24, messages: [{ role: "user", content: "tell me a story" }], stream: Math.random() < 0.5 }),
        signal,
      }),
  },
  {
    name: "ollama-chat",
    weight: 4,
    send: (signal) =>
      fetch(`${base}/api/chat`, {
        ...json({ model: TINY, messages: [{ role: "user", content: "tell me a story" }], options: { num_predict: 24 } }),
        signal,
      }),
  },
  {
    name: "completion",
    weight: 5,
    send: (signal) => fetch(`${base}/v1/completions`, { ...json({ model: TINY, prompt: "Once upon", max_tokens: 16 }), signal }),
  },
  {
    name: "embeddings",
    weight: 8,
    send: (signal) => fetch(`${base}/v1/embeddings`, { ...json({ model: EMBED, input: ["alpha", "beta gamma"] }), signal }),
  },
  {
    name: "ocr",
    weight: 2,
    send: (signal) =>
      fetch(`${base}/v1/cv`, { ...json({ model: "ocr", image: `data:image/png;base64,${png.toString("base64")}` }), signal }),
  },
  { name: "models", weight: 2, send: (signal) => fetch(`${base}/v1/models`, { signal }) },
  {
    name: "malformed",
    weight: 4,
    expected: [400, 404, 413, 415],
    send: (signal) => {
      const bodies = [
        "{",
        '{"model": 5}',
        JSON.stringify({ model: TINY, messages: "nope" }),
        JSON.stringify({ model: "no/such", messages: [] }),
        "\u0000\u0001",
      ];
      return fetch(`${base}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: bodies[Math.floor(Math.random() * bodies.length)],
        signal,
      });
    },
  },
];

interface Outcome {
  kind: string;
  status: number | "network-error" | "aborted";
  ms: number;
  /** the request was in flight when the runner was killed */
  duringKill: boolean;
}
const outcomes: Outcome[] = [];
let killAt: number | undefined;
let killWindowEnd = 0;

async function one(kind: Kind, expected429 = false): Promise<void> {
  const ac = new AbortController();
  const t0 = performance.now();
  const startedBeforeKill = killAt === undefined;
  let status: Outcome["status"];
  try {
    const res = await kind.send(ac.signal);
    status = res.status;
    if (kind.abortAfterBytes && res.ok && res.body) {
      const reader = res.body.getReader();
      await reader.read();
      ac.abort();
      await reader.cancel().catch(() => {});
      status = "aborted";
    } else {
      await res.arrayBuffer();
    }
  } catch (e) {
    status = (e as Error).name === "AbortError" ? "aborted" : "network-error";
  }
  const end = performance.now();
  const duringKill = killAt !== undefined && startedBeforeKill && end >= killAt && t0 <= killWindowEnd;
  outcomes.push({ kind: expected429 ? `${kind.name} (burst)` : kind.name, status, ms: end - t0, duringKill });
}

function pick(): Kind {
  const total = KINDS.reduce((s, k) => s + k.weight, 0);
  let r = Math.random() * total;
  for (const k of KINDS) {
    r -= k.weight;
    if (r < 0) return k;
  }
  return KINDS[0];
}

// --- what a queued request costs --------------------------------------------------------------------
async function queuedRequestCost(): Promise<number> {
  const holders = Array.from({ length: PARALLEL }, () => new AbortController());
  const held = holders.map((ac) =>
    fetch(`${base}/v1/chat/completions`, {
      ...json(chat({ stream: true, max_tokens: 3000, grammar: "root ::= [a-z]{2990}" })),
      signal: ac.signal,
    }),
  );
  await Promise.all(held.map(async (p) => (await p).body!.getReader().read()));
  const before = rssBytes(server.pid!);
  const n = QUEUE;
  const queued = Array.from({ length: n }, () => new AbortController());
  const waits = queued.map((ac) => fetch(`${base}/v1/chat/completions`, { ...json(chat()), signal: ac.signal }).catch(() => undefined));
  // RSS when the queue is deepest (the holders may end before every request has arrived)
  let deepest = 0;
  let after = before;
  const until = performance.now() + 30_000;
  while (performance.now() < until) {
    const h = (await (await fetch(`${base}/health`)).json()) as { models: { id: string; queued: number }[] };
    const depth = h.models.find((m) => m.id === TINY)?.queued ?? 0;
    if (depth > deepest) {
      deepest = depth;
      after = rssBytes(server.pid!);
    }
    if (depth >= n || (deepest > 0 && depth < deepest / 2)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const ac of [...queued, ...holders]) ac.abort();
  await Promise.allSettled([...waits, ...held]);
  return deepest > 0 ? (after - before) / deepest : Number.NaN;
}

// --- the run ---------------------------------------------------------------------------------------
const queuedCost = await queuedRequestCost();
log(`a queued chat request costs the server about ${(queuedCost / 1024).toFixed(1)} KiB of RSS`);
const started = performance.now();
const deadline = started + durationMs;
const warmupMs = Math.min(60_000, durationMs * 0.1);
let warm: Sample | undefined;
let killed: { pid: number; at: number } | undefined;

const monitor = (async () => {
  while (performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    const t = performance.now() - started;
    if (!warm && t >= warmupMs) {
      warm = sample();
      log(`warm: ${JSON.stringify(warm)}`);
    }
    if (!killed && t >= durationMs * 0.4) {
      const runner = childrenOf(server.pid!)[0];
      if (runner) {
        killAt = performance.now();
        killWindowEnd = killAt + 5000;
        process.kill(runner, "SIGKILL");
        killed = { pid: runner, at: Math.round(t / 1000) };
        log(`killed runner ${runner} at ${killed.at} s`);
      }
    }
    // a burst past the queue every 30 s: QUEUE + 3 * PARALLEL chat requests at once
    if (Math.floor(t / 30_000) !== Math.floor((t - 1000) / 30_000)) {
      void Promise.all(Array.from({ length: QUEUE + 3 * PARALLEL }, () => one(KINDS[0], true)));
    }
  }
})();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) await one(pick());
  }),
);
await monitor;
await new Promise((r) => setTimeout(r, 3000)); // let the last bursts end
const end = sample();

// --- the report ------------------------------------------------------------------------------------
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};
const byKind = new Map<string, Outcome[]>();
for (const o of outcomes) byKind.set(o.kind, [...(byKind.get(o.kind) ?? []), o]);
const kinds = [...byKind].map(([name, os]) => {
  const kind = KINDS.find((k) => name.startsWith(k.name))!;
  const statuses: Record<string, number> = {};
  for (const o of os) statuses[String(o.status)] = (statuses[String(o.status)] ?? 0) + 1;
  const ok = os.filter((o) => typeof o.status === "number" && o.status < 300).map((o) => o.ms);
  const serverFault = os.filter((o) => {
    if (o.status === "aborted") return false;
    if (o.duringKill) return false;
    if (o.status === "network-error") return true;
    if (o.status === 429) return false; // the queue's backpressure, with Retry-After: counted apart
    return o.status >= 500 || (o.status >= 400 && !(kind.expected ?? []).includes(o.status));
  }).length;
  return {
    name,
    requests: os.length,
    statuses,
    serverFault,
    refused429: os.filter((o) => o.status === 429).length,
    p50Ms: Math.round(pct(ok, 50)),
    p95Ms: Math.round(pct(ok, 95)),
  };
});
const w = warm ?? end;
const report = {
  cpu: os.cpus()[0]?.model,
  minutes: Number(values.minutes),
  concurrency,
  requests: outcomes.length,
  killedRunner: killed,
  inFlightAtKill: outcomes.filter((o) => o.duringKill).length,
  serverFaultErrors: kinds.reduce((s, k) => s + k.serverFault, 0),
  refusedByQueue: kinds.reduce((s, k) => s + k.refused429, 0),
  queuedRequestBytes: Math.round(queuedCost),
  kinds,
  warm: w,
  end,
  growth: {
    serverRssMiB: +((end.serverRss - w.serverRss) / 2 ** 20).toFixed(1),
    serverFds: end.serverFds - w.serverFds,
    runnersRssMiB: +((end.runnersRss - w.runnersRss) / 2 ** 20).toFixed(1),
    runnersFds: end.runnersFds - w.runnersFds,
  },
  // bounds: what allocator and JIT noise may add over a run; past them, something is kept per request
  bounds: { serverRssMiB: 64, serverFds: 8, runnersRssMiB: 64, runnersFds: 8 },
};
server.kill("SIGTERM");
await new Promise((r) => server.once("exit", r));
if (values.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  log(
    `\n${report.requests} requests in ${report.minutes} min on ${report.cpu}; runner ${killed?.pid ?? "-"} killed at ${killed?.at ?? "-"} s (${report.inFlightAtKill} in flight)`,
  );
  log("kind                      requests  p50 ms  p95 ms  server-fault  statuses");
  for (const k of kinds)
    log(
      `${k.name.padEnd(26)}${String(k.requests).padStart(8)}${String(k.p50Ms).padStart(8)}${String(k.p95Ms).padStart(8)}${String(k.serverFault).padStart(14)}  ${JSON.stringify(k.statuses)}`,
    );
  log(
    `errors not the client's fault: ${report.serverFaultErrors} (goal 0); refused by the full queue (429 + Retry-After): ${report.refusedByQueue}`,
  );
  log(`a queued request: ${(report.queuedRequestBytes / 1024).toFixed(1)} KiB`);
  log(
    `server RSS ${(w.serverRss / 2 ** 20).toFixed(0)} -> ${(end.serverRss / 2 ** 20).toFixed(0)} MiB, fds ${w.serverFds} -> ${end.serverFds} (+ sockets ${w.serverSockets} -> ${end.serverSockets})`,
  );
  log(
    `runners (${w.runners} -> ${end.runners}) RSS ${(w.runnersRss / 2 ** 20).toFixed(0)} -> ${(end.runnersRss / 2 ** 20).toFixed(0)} MiB, fds ${w.runnersFds} -> ${end.runnersFds}`,
  );
}
const g = report.growth;
const b = report.bounds;
const leaked =
  g.serverRssMiB > b.serverRssMiB || g.serverFds > b.serverFds || g.runnersRssMiB > b.runnersRssMiB || g.runnersFds > b.runnersFds;
process.exit(report.serverFaultErrors > 0 || leaked ? 1 : 0);
