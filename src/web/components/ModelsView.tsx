// Models and machine: what is in the store and what is loaded (load, unload), the chosen model's
// plan (engine, device, reasons, ranked alternatives: `hearth plan`), this machine's devices
// (`hearth devices`) and the fallbacks that happened.
import { useEffect, useState } from "preact/hooks";
import { getJson, postJson } from "../api.ts";
import { bytes } from "../format.ts";
import type { ModelEntry } from "../types.ts";
import { PlanPanel } from "./PlanPanel.tsx";
import { DevicesPanel } from "./DevicesPanel.tsx";

interface Fallbacks {
  fallbacks: { model: string; from: { backend: string; device: string }; to: { backend: string; device: string }; reason: string; at?: string }[];
  runnerExits: { model: string; backend: string; reason?: string; code?: number | null; signal?: string | null }[];
}

export function ModelsView(props: { models: ModelEntry[]; refresh: () => Promise<void> }) {
  const [selected, setSelected] = useState<string>("");
  const [busy, setBusy] = useState<string>("");
  const [error, setError] = useState("");
  const [fallbacks, setFallbacks] = useState<Fallbacks | null>(null);

  useEffect(() => {
    void props.refresh();
    void getJson<Fallbacks>("/hearth/fallbacks").then(setFallbacks, () => undefined);
  }, []);
  useEffect(() => {
    if (!selected && props.models[0]) setSelected(props.models[0].id);
  }, [props.models]);

  const act = async (id: string, what: "load" | "unload") => {
    setBusy(id);
    setError("");
    try {
      await postJson(`/hearth/models/${encodeURIComponent(id)}/${what}`);
    } catch (e) {
      setError(`${what} ${id}: ${e instanceof Error ? e.message : e}`);
    } finally {
      setBusy("");
      await props.refresh();
    }
  };

  return (
    <main class="models-view">
      <section aria-labelledby="models-title">
        <h2 id="models-title">Models</h2>
        {error && <p class="error" role="alert">{error}</p>}
        {props.models.length === 0 ? (
          <p class="empty">No models yet: <code>hearth pull &lt;model&gt;</code>, or start <code>hearth serve</code> with a model file.</p>
        ) : (
          <div class="table-wrap">
            <table class="models">
              <thead>
                <tr><th scope="col">Model</th><th scope="col">Type</th><th scope="col">Source</th><th scope="col">State</th><th scope="col">Runs on</th><th scope="col">Memory</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
              </thead>
              <tbody>
                {props.models.map((m) => {
                  const s = m.status;
                  return (
                    <tr key={m.id} class={m.id === selected ? "selected" : ""} data-model={m.id}>
                      <th scope="row">
                        <button type="button" class="link" aria-pressed={m.id === selected ? "true" : "false"} onClick={() => setSelected(m.id)}>{m.id}</button>
                      </th>
                      <td>{m.type ?? ""}</td>
                      <td>{m.source}</td>
                      <td class="state">{busy === m.id ? "working…" : s ? s.state === "ready" ? "loaded" : s.state : "not loaded"}</td>
                      <td>
                        {s?.backend ? `${s.backend} / ${s.device}` : ""}
                        {s?.pid !== undefined && (
                          <span
                            class="process"
                            title={s.runner ? "a runner process of its own: an engine crash ends its requests, not the server" : "in the server's process (hearth serve --in-process)"}
                          >
                            {s.runner ? `runner ${s.pid}` : "in the server"}
                          </span>
                        )}
                      </td>
                      <td>{bytes(s?.memoryBytes)}</td>
                      <td>
                        {s ? (
                          <button type="button" disabled={busy !== ""} onClick={() => act(m.id, "unload")} aria-label={`Unload ${m.id}`}>Unload</button>
                        ) : (
                          <button type="button" disabled={busy !== ""} onClick={() => act(m.id, "load")} aria-label={`Load ${m.id}`}>Load</button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {selected && <PlanPanel key={selected} model={selected} />}
      <DevicesPanel />
      <section aria-labelledby="fallbacks-title">
        <h2 id="fallbacks-title">Fallbacks</h2>
        {!fallbacks || (fallbacks.fallbacks.length === 0 && fallbacks.runnerExits.length === 0) ? (
          <p class="empty">None: every model runs where its plan put it.</p>
        ) : (
          <ul>
            {fallbacks.fallbacks.map((f, i) => (
              <li key={i}>{f.model}: {f.from.backend}/{f.from.device} → {f.to.backend}/{f.to.device} ({f.reason})</li>
            ))}
            {fallbacks.runnerExits.map((r, i) => (
              <li key={`x${i}`}>{r.model}: the {r.backend} runner exited{r.reason ? ` (${r.reason})` : ""}</li>
            ))}
          </ul>
        )}
      </section>
    </main>
  );
}
