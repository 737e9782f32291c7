// A model's plan as `hearth plan` prints it: the engine and device chosen, why, the ranked
// alternatives, the fallback chain and any failure remembered from earlier runs.
import { useEffect, useState } from "preact/hooks";
import { getJson } from "../api.ts";

interface Candidate {
  backend: string;
  device: string;
  api: string;
  deviceName?: string;
  fit: string;
  usable: boolean;
  reasons: string[];
  options: { gpuLayers?: number | "max"; threads?: number; contextSize?: number; batchSize?: number; kvCacheType?: string };
}

interface Plan {
  model: string;
  backend: string;
  device: string;
  reasons: string[];
  alternatives: Candidate[];
  fallbackChain: Candidate[];
  strict: boolean;
  remembered: { backend: string; device: string; reason: string; at: string }[];
}

function settingsOf(c: Candidate): string {
  const o = c.options;
  return [
    o.gpuLayers !== undefined && c.device === "gpu" ? `GPU layers ${o.gpuLayers}` : "",
    o.threads !== undefined ? `${o.threads} threads` : "",
    o.contextSize !== undefined ? `context ${o.contextSize}` : "",
    o.batchSize !== undefined ? `batch ${o.batchSize}` : "",
    o.kvCacheType ? `KV ${o.kvCacheType}` : "",
  ].filter(Boolean).join(", ") || "engine defaults";
}

export function PlanPanel(props: { model: string }) {
  const [plan, setPlan] = useState<Plan | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    getJson<Plan>(`/hearth/plan?model=${encodeURIComponent(props.model)}`).then(setPlan, (e) => setError(e instanceof Error ? e.message : String(e)));
  }, [props.model]);

  return (
    <section class="plan" aria-labelledby="plan-title" aria-busy={!plan && !error}>
      <h2 id="plan-title">Plan for {props.model}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {!plan && !error && <p class="empty">Planning…</p>}
      {plan && (
        <>
          <p class="chosen" data-testid="plan-chosen">
            Runs with <strong>{plan.backend}</strong> on <strong>{plan.device}</strong>
            {plan.alternatives[0]?.deviceName ? ` (${plan.alternatives[0].deviceName})` : ""}
            {plan.alternatives[0] ? `, ${settingsOf(plan.alternatives[0])}` : ""}
          </p>
          <h3>Why</h3>
          <ul class="reasons">{plan.reasons.map((r, i) => <li key={i}>{r}</li>)}</ul>
          <h3>Alternatives, best first</h3>
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Rank</th><th scope="col">Engine</th><th scope="col">Device</th><th scope="col">Fit</th><th scope="col">Settings</th><th scope="col">Why</th></tr></thead>
              <tbody>
                {plan.alternatives.map((c, i) => (
                  <tr key={i}>
                    <td>{i + 1}</td>
                    <td>{c.backend}</td>
                    <td>{c.device}{c.api !== c.device ? ` (${c.api})` : ""}</td>
                    <td>{c.usable ? c.fit : c.fit === "none" ? "too big" : "unusable"}</td>
                    <td>{settingsOf(c)}</td>
                    <td>{c.reasons[0] ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p>Fallback: {plan.fallbackChain.map((c) => `${c.backend}/${c.device}`).join(" → ")}{plan.strict ? " (strict: no fallback)" : ""}</p>
          {plan.remembered.map((f, i) => (
            <p class="note" key={i}>Remembered: {f.backend}/{f.device} failed {f.at}: {f.reason}</p>
          ))}
        </>
      )}
    </section>
  );
}
