// This machine as `hearth devices` shows it: CPU, RAM, GPUs, NPUs and the engines usable on each.
import { useEffect, useState } from "preact/hooks";
import { getJson } from "../api.ts";
import { bytes } from "../format.ts";

interface Devices {
  cpu: { model?: string; arch: string; physicalCores: number; logicalCores: number; simd: string[]; backends: string[] };
  memory: { totalBytes: number; freeBytes: number };
  gpus: { index: number; name?: string; vendor?: string; apis: string[]; memoryTotalBytes?: number; backends: string[] }[];
  npus: { name: string; kind: string; backends: string[] }[];
  probedAt: string;
}

const list = (a: string[]) => (a.length ? a.join(", ") : "none");

export function DevicesPanel() {
  const [d, setD] = useState<Devices | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    getJson<Devices>("/hearth/devices").then(setD, (e) => setError(e instanceof Error ? e.message : String(e)));
  }, []);
  return (
    <section aria-labelledby="devices-title" aria-busy={!d && !error}>
      <h2 id="devices-title">Devices</h2>
      {error && <p class="error" role="alert">{error}</p>}
      {!d && !error && <p class="empty">Probing…</p>}
      {d && (
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">Device</th><th scope="col">Name</th><th scope="col">Memory</th><th scope="col">Details</th><th scope="col">Engines</th></tr></thead>
            <tbody>
              <tr>
                <td>CPU</td>
                <td>{d.cpu.model ?? "unknown"}</td>
                <td>{bytes(d.memory.totalBytes)} RAM, {bytes(d.memory.freeBytes)} free</td>
                <td>{d.cpu.arch}, {d.cpu.physicalCores} physical / {d.cpu.logicalCores} logical cores, SIMD {list(d.cpu.simd)}</td>
                <td>{list(d.cpu.backends)}</td>
              </tr>
              {d.gpus.map((g) => (
                <tr key={`g${g.index}`}>
                  <td>GPU {g.index}</td>
                  <td>{g.name ?? "unknown"}</td>
                  <td>{bytes(g.memoryTotalBytes)}</td>
                  <td>{g.vendor ?? ""} {g.apis.length ? g.apis.join("/") : "no compute API loads"}</td>
                  <td>{list(g.backends)}</td>
                </tr>
              ))}
              {d.npus.map((n, i) => (
                <tr key={`n${i}`}><td>NPU</td><td>{n.name}</td><td /><td>{n.kind}</td><td>{list(n.backends)}</td></tr>
              ))}
            </tbody>
          </table>
          {d.gpus.length === 0 && <p class="note">No GPU found.</p>}
          {d.npus.length === 0 && <p class="note">No NPU found.</p>}
        </div>
      )}
    </section>
  );
}
