// A conversation's system prompt and sampling settings, folded away until wanted.
import type { Conversation, Sampling } from "../types.ts";

const FIELDS: { key: keyof Sampling; label: string; min: number; max: number; step: number }[] = [
  { key: "temperature", label: "Temperature", min: 0, max: 2, step: 0.05 },
  { key: "top_p", label: "Top p", min: 0, max: 1, step: 0.01 },
  { key: "max_tokens", label: "Max tokens", min: 1, max: 131072, step: 1 },
];

export function Settings(props: { conv: Conversation; update: (c: Conversation) => void }) {
  const { conv } = props;
  return (
    <details class="settings">
      <summary>Settings</summary>
      <div class="settings-body">
        <label for="system-prompt">System prompt</label>
        <textarea id="system-prompt" rows={3} value={conv.system} onChange={(e) => props.update({ ...conv, system: e.currentTarget.value })} />
        <div class="fields">
          {FIELDS.map((f) => (
            <div key={f.key}>
              <label for={`sampling-${f.key}`}>{f.label}</label>
              <input
                id={`sampling-${f.key}`}
                type="number"
                min={f.min}
                max={f.max}
                step={f.step}
                value={conv.sampling[f.key]}
                onChange={(e) => {
                  const v = Number(e.currentTarget.value);
                  if (Number.isFinite(v) && v >= f.min && v <= f.max) props.update({ ...conv, sampling: { ...conv.sampling, [f.key]: v } });
                }}
              />
            </div>
          ))}
        </div>
      </div>
    </details>
  );
}
