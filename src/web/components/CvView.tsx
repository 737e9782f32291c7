// OCR and detection: drop an image, see the text lines or the boxes drawn on it, copy the text.
import { useState } from "preact/hooks";
import { postJson } from "../api.ts";
import { dataUrl, isImage } from "../media.ts";
import { ms } from "../format.ts";
import type { ModelEntry } from "../types.ts";

interface CvResult {
  task: "ocr" | "detect";
  width: number;
  height: number;
  text?: string;
  lines?: { text: string; confidence: number; box: [number, number][] }[];
  detections?: { label: string; score: number; box: [number, number, number, number] }[];
  profile?: { total_ms: number; device?: string };
}

export function CvView(props: { models: ModelEntry[] }) {
  const cvModels = props.models.filter((m) => m.type === "cv");
  const [model, setModel] = useState("");
  const [task, setTask] = useState<"ocr" | "detect">("ocr");
  const [image, setImage] = useState("");
  const [result, setResult] = useState<CvResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState("");
  const [copied, setCopied] = useState(false);
  const chosen = model || cvModels.find((m) => m.id === "ocr")?.id || cvModels[0]?.id || "";

  const run = async (file: File) => {
    setError("");
    setResult(null);
    if (!isImage(file)) return setError(`${file.name} is not an image`);
    const url = await dataUrl(file);
    setImage(url);
    setBusy(true);
    try {
      setResult(await postJson<CvResult>("/v1/cv", { model: chosen, image: url, task }));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="cv-view">
      <h2>OCR &amp; detection</h2>
      <div class="row">
        <label for="cv-model">Model</label>
        <select id="cv-model" value={chosen} onChange={(e) => setModel(e.currentTarget.value)}>
          {cvModels.length === 0 && <option value="">no OCR or detection model</option>}
          {cvModels.map((m) => <option value={m.id} key={m.id}>{m.id}</option>)}
        </select>
        <label for="cv-task">Task</label>
        <select id="cv-task" value={task} onChange={(e) => setTask(e.currentTarget.value as "ocr" | "detect")}>
          <option value="ocr">Read text (OCR)</option>
          <option value="detect">Detect objects</option>
        </select>
      </div>
      <label
        class="dropzone"
        data-testid="cv-drop"
        onDragOver={(e) => e.preventDefault()}
        onDrop={(e) => {
          e.preventDefault();
          const f = e.dataTransfer?.files[0];
          if (f) void run(f);
        }}
      >
        Drop an image here, or choose one
        <input type="file" accept="image/*" class="visually-hidden" data-testid="cv-file" onChange={(e) => {
          const f = e.currentTarget.files?.[0];
          e.currentTarget.value = "";
          if (f) void run(f);
        }} />
      </label>
      {busy && <p role="status">Reading…</p>}
      {error && <p class="error" role="alert">{error}</p>}
      {image && (
        <figure class="cv-figure">
          <div class="cv-stage">
            <img src={image} alt="the image sent" />
            {result && (
              <svg viewBox={`0 0 ${result.width} ${result.height}`} preserveAspectRatio="none" aria-hidden="true">
                {result.lines?.map((l, i) => <polygon key={i} points={l.box.map((p) => p.join(",")).join(" ")} class="ocr-box" />)}
                {result.detections?.map((d, i) => (
                  <g key={i}>
                    <rect x={d.box[0]} y={d.box[1]} width={d.box[2] - d.box[0]} height={d.box[3] - d.box[1]} class="det-box" />
                    <text x={d.box[0] + 4} y={d.box[1] + 16} class="det-label">{d.label} {Math.round(d.score * 100)}%</text>
                  </g>
                ))}
              </svg>
            )}
          </div>
          {result && <figcaption>{result.width}×{result.height}, {ms(result.profile?.total_ms)}{result.profile?.device ? ` on ${result.profile.device}` : ""}</figcaption>}
        </figure>
      )}
      {result?.task === "ocr" && (
        <section aria-labelledby="ocr-lines">
          <h3 id="ocr-lines">Text</h3>
          <ol class="ocr-lines" data-testid="ocr-lines">
            {result.lines?.map((l, i) => <li key={i}>{l.text} <span class="conf">{Math.round(l.confidence * 100)}%</span></li>)}
          </ol>
          <button type="button" onClick={async () => {
            await navigator.clipboard?.writeText(result.text ?? "");
            setCopied(true);
          }}>{copied ? "Copied" : "Copy text"}</button>
        </section>
      )}
      {result?.task === "detect" && (
        <section aria-labelledby="det-list">
          <h3 id="det-list">Objects</h3>
          {result.detections?.length ? (
            <ul>{result.detections.map((d, i) => <li key={i}>{d.label} ({Math.round(d.score * 100)}%)</li>)}</ul>
          ) : <p class="empty">Nothing found.</p>}
        </section>
      )}
    </main>
  );
}
