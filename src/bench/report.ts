// The HTML report of a benchmark run: ONE self-contained file (Chart.js is inlined, no network) with
// charts of speed per cell (median bars, p95 whiskers), memory per cell, the results table, the
// machine's description and the exact settings.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { BenchRun, CellResult } from "./types.ts";
import type { Summary } from "./stats.ts";

const require = createRequire(import.meta.url);

function chartJsSource(): string {
  // the UMD build defines window.Chart in a plain <script>; the package does not export its path
  return readFileSync(path.join(path.dirname(require.resolve("chart.js")), "chart.umd.js"), "utf8");
}

function esc(s: unknown): string {
  return String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that is safe inside a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

const mb = (b?: number) => (b === undefined ? null : +(b / 1e6).toFixed(1));
const r1 = (x?: number) => (x === undefined ? null : +x.toFixed(x >= 100 ? 0 : 2));

interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  labels: string[];
  /** median bars */
  median: Array<number | null>;
  /** whisker from the bad tail (p95) to the best value */
  whisker?: Array<[number, number] | null>;
  whiskerLabel?: string;
  /** extra bar series (memory charts) */
  extra?: Array<{ label: string; data: Array<number | null> }>;
  medianLabel: string;
}

function speedChart(
  id: string,
  title: string,
  unit: string,
  cells: CellResult[],
  pick: (c: CellResult) => Summary | undefined,
  lowerIsBetter = false,
): ChartSpec | undefined {
  const used = cells.filter((c) => pick(c));
  if (!used.length) return undefined;
  return {
    id,
    title,
    xLabel: "cell",
    yLabel: unit,
    labels: used.map((c) => c.label),
    medianLabel: "median",
    median: used.map((c) => r1(pick(c)!.median)),
    // the whisker spans the best value to the p95 tail (max..p95 for times, p95..max for rates)
    whisker: used.map((c) => {
      const s = pick(c)!;
      return lowerIsBetter ? [s.min, s.p95] : [s.p95, s.max];
    }),
    whiskerLabel: lowerIsBetter ? "min to p95" : "p95 to max",
  };
}

function charts(run: BenchRun): ChartSpec[] {
  const c = run.cells;
  const out = [
    speedChart("decode", "Decode speed per cell", "tokens/s", c, (x) => x.decodeTokensPerSec),
    speedChart("prefill", "Prefill speed per cell", "tokens/s", c, (x) => x.prefillTokensPerSec),
    speedChart("ttft", "Time to first token per cell", "ms", c, (x) => x.ttftMs, true),
    speedChart("latency", "End-to-end latency per cell", "ms", c, (x) => x.latencyMs, true),
    speedChart("rtf", "Real-time factor per cell (lower is faster)", "processing time / audio time", c, (x) => x.realTimeFactor, true),
    speedChart("step", "Image generation: time per denoising step", "ms", c, (x) => x.stepMs, true),
  ].filter((x): x is ChartSpec => !!x);
  const lb = (run.llamaBench ?? []).filter((r) => r.decodeRatio !== undefined || r.prefillRatio !== undefined);
  if (lb.length) {
    out.push({
      id: "llamabench",
      title: "hearth / llama-bench speed ratio per cell (1 = as fast)",
      xLabel: "cell",
      yLabel: "ours / theirs",
      labels: lb.map((r) => r.label),
      medianLabel: "decode",
      median: lb.map((r) => (r.decodeRatio === undefined ? null : +r.decodeRatio.toFixed(3))),
      extra: [{ label: "prefill", data: lb.map((r) => (r.prefillRatio === undefined ? null : +r.prefillRatio.toFixed(3))) }],
    });
  }
  const withMem = c.filter((x) => x.peakRssBytes !== undefined);
  if (withMem.length) {
    out.push({
      id: "memory",
      title: "Peak memory per cell",
      xLabel: "cell",
      yLabel: "MB",
      labels: withMem.map((x) => x.label),
      medianLabel: "peak resident memory (RAM)",
      median: withMem.map((x) => mb(x.peakRssBytes)),
      extra: [
        { label: "resident before loading", data: withMem.map((x) => mb(x.baselineRssBytes)) },
        ...(withMem.some((x) => x.peakGpuBytes !== undefined)
          ? [{ label: "peak GPU memory", data: withMem.map((x) => mb(x.peakGpuBytes)) }]
          : []),
      ],
    });
  }
  return out;
}

function fmtSummary(s?: Summary, digits = 1): string {
  if (!s) return "";
  return `${s.median.toFixed(digits)} <small>(p95 ${s.p95.toFixed(digits)}, ${s.min.toFixed(digits)}–${s.max.toFixed(digits)})</small>`;
}

function resultsTable(run: BenchRun): string {
  const head = [
    "cell",
    "engine / device",
    "load ms",
    "prefill tok/s",
    "decode tok/s",
    "TTFT ms",
    "latency ms",
    "RTF",
    "ms/step",
    "peak RSS MB",
    "peak GPU MB",
    "errors",
  ];
  const rows = run.cells.map((c) =>
    [
      esc(c.label),
      esc(c.backend ? `${c.backend} / ${c.device}` : ""),
      c.loadMs === undefined ? "" : c.loadMs.toFixed(0),
      fmtSummary(c.prefillTokensPerSec),
      fmtSummary(c.decodeTokensPerSec),
      fmtSummary(c.ttftMs),
      fmtSummary(c.latencyMs),
      fmtSummary(c.realTimeFactor, 3),
      fmtSummary(c.stepMs, 2),
      mb(c.peakRssBytes) ?? "",
      c.peakGpuBytes === undefined ? "n/a" : mb(c.peakGpuBytes),
      c.ok ? `${c.errors}/${c.reps}` : `<span class="err">failed: ${esc(c.error)}</span>`,
    ]
      .map((v) => `<td>${v}</td>`)
      .join(""),
  );
  return `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>${rows.map((r) => `<tr>${r}</tr>`).join("")}</tbody></table>`;
}

function kvTable(obj: Record<string, unknown>): string {
  return `<table class="kv">${Object.entries(obj)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(typeof v === "object" ? JSON.stringify(v) : v)}</td></tr>`)
    .join("")}</table>`;
}

// Runs in the page: draws each chart, then records on its <figure> what was drawn (title, axis
// titles, painted pixels), so a person or a test can check the charts without reading canvas pixels.
const PAGE_SCRIPT = `
(function () {
  var specs = JSON.parse(document.getElementById("chart-data").textContent);
  var ready = 0;
  specs.forEach(function (s) {
    var canvas = document.getElementById("chart-" + s.id);
    var datasets = [{ type: "bar", label: s.medianLabel, data: s.median, backgroundColor: "rgba(54,116,181,0.75)", order: 2 }];
    if (s.whisker) datasets.push({ type: "bar", label: s.whiskerLabel, data: s.whisker, backgroundColor: "rgba(20,20,20,0.55)", barPercentage: 0.08, categoryPercentage: 1, grouped: false, order: 1 });
    var colors = ["rgba(160,160,160,0.7)", "rgba(214,96,77,0.75)"];
    (s.extra || []).forEach(function (e, i) { datasets.push({ type: "bar", label: e.label, data: e.data, backgroundColor: colors[i % colors.length] }); });
    var chart = new Chart(canvas, {
      data: { labels: s.labels, datasets: datasets },
      options: {
        animation: false, responsive: false,
        plugins: { title: { display: true, text: s.title, font: { size: 15 } }, legend: { position: "bottom" } },
        scales: {
          x: { title: { display: true, text: s.xLabel } },
          y: { beginAtZero: true, title: { display: true, text: s.yLabel } }
        }
      }
    });
    var px = 0;
    try {
      var d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      for (var i = 3; i < d.length; i += 4) if (d[i] !== 0) px++;
    } catch (e) { px = -1; }
    var fig = canvas.parentElement;
    fig.setAttribute("data-chart-title", chart.options.plugins.title.text);
    fig.setAttribute("data-x-title", chart.options.scales.x.title.text);
    fig.setAttribute("data-y-title", chart.options.scales.y.title.text);
    fig.setAttribute("data-datasets", chart.data.datasets.map(function (x) { return x.label; }).join("|"));
    fig.setAttribute("data-painted-pixels", String(px));
    if (px > 0) ready++;
  });
  document.body.setAttribute("data-charts-ready", String(ready));
})();
`;

export function renderReport(run: BenchRun): string {
  const specs = charts(run);
  const m = run.machine;
  const machine = {
    CPU: `${m.cpu} (${m.physicalCores} physical / ${m.logicalCores} logical cores)`,
    "CPU features": m.cpuFlags.join(" "),
    memory: `${(m.memoryBytes / 1e9).toFixed(1)} GB`,
    GPUs: m.gpus.length
      ? m.gpus.map((g) => `${g.name}${g.memoryBytes ? ` (${(g.memoryBytes / 1e9).toFixed(1)} GB)` : ""}`).join(", ")
      : "none",
    OS: `${m.os} ${m.arch}`,
    Node: m.node,
    hearth: run.hearth,
  };
  const settings = {
    ...run.settings,
    started: run.startedAt,
    finished: run.finishedAt,
    cells: run.cells.map((c) => c.cell),
  };
  const ratios = run.llamaBench?.length
    ? `<h2>Against llama-bench</h2><table><thead><tr><th>cell</th><th>prefill ours / theirs</th><th>decode ours / theirs</th><th>note</th></tr></thead><tbody>${run.llamaBench
        .map(
          (r) =>
            `<tr><td>${esc(r.label)}</td><td>${r.prefillRatio?.toFixed(2) ?? ""} <small>(${r1(r.ours.prefillTokensPerSec) ?? "?"} / ${r1(r.theirs.prefillTokensPerSec) ?? "?"})</small></td><td>${r.decodeRatio?.toFixed(2) ?? ""} <small>(${r1(r.ours.decodeTokensPerSec) ?? "?"} / ${r1(r.theirs.decodeTokensPerSec) ?? "?"})</small></td><td>${esc(r.error ?? "")}</td></tr>`,
        )
        .join("")}</tbody></table>`
    : "";
  const width = Math.max(640, Math.min(1400, 160 + 90 * Math.max(...specs.map((s) => s.labels.length), 1)));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hearth bench: ${esc(run.startedAt)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1500px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}small{color:#666}.err{color:#b00020}.kv th{width:160px}
figure{margin:16px 0;display:inline-block;border:1px solid #eee;padding:8px}
.charts{display:flex;flex-wrap:wrap;gap:8px}
</style></head>
<body>
<h1>hearth bench</h1>
<p>${run.cells.length} cell(s), ${run.settings.reps} repetition(s) each after ${run.settings.warmup} warm-up run(s); prompt ${run.settings.promptFile ? esc(run.settings.promptFile) : `${run.settings.promptTokens} tokens`}, ${run.settings.genTokens} generated tokens. Medians, with p95 as the bad tail (nearest rank) and min–max.</p>
<div class="charts">
${specs.map((s) => `<figure id="figure-${s.id}"><canvas id="chart-${s.id}" width="${width}" height="360" role="img" aria-label="${esc(s.title)}"></canvas></figure>`).join("\n")}
</div>
<h2>Results</h2>
${resultsTable(run)}
${ratios}
<h2>Machine</h2>
${kvTable(machine)}
<h2>Settings</h2>
<pre>${esc(JSON.stringify(settings, null, 2))}</pre>
<script id="chart-data" type="application/json">${scriptJson(specs)}</script>
<script>${chartJsSource().replace(/<\/script/gi, "<\\/script")}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
