// One message: the user's text with its images and files, or the answer as Markdown with its
// reasoning folded, the figures hearth measured, and actions (edit, regenerate, read aloud, copy).
import { useEffect, useMemo, useState } from "preact/hooks";
import { renderMarkdown, splitThink } from "../markdown.ts";
import { ms, perSec } from "../format.ts";
import { speak } from "../media.ts";
import type { Figures, Message } from "../types.ts";

function FiguresLine({ f }: { f: Figures }) {
  const parts = [
    perSec(f.decode_tokens_per_sec),
    f.ttft_ms != null ? `first token ${ms(f.ttft_ms)}` : "",
    `${f.completion_tokens} tokens (${f.prompt_tokens} in)`,
    `${f.backend} on ${f.device}`,
  ].filter(Boolean);
  return <p class="figures" data-testid="figures">{parts.join(" · ")}</p>;
}

export function MessageView(props: {
  message: Message;
  streaming: boolean;
  busy: boolean;
  ttsModel?: string;
  onEdit?: (text: string) => void;
  onRegenerate?: () => void;
}) {
  const m = props.message;
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(m.content);
  const [audio, setAudio] = useState("");
  const [speaking, setSpeaking] = useState(false);
  const [note, setNote] = useState("");
  const split = useMemo(() => splitThink(m.content), [m.content]);
  const reasoning = [m.reasoning, split.reasoning].filter(Boolean).join("\n");
  const html = useMemo(() => (m.role === "assistant" ? renderMarkdown(split.answer) : ""), [m.role, split.answer]);

  useEffect(() => () => void (audio && URL.revokeObjectURL(audio)), [audio]);

  const readAloud = async () => {
    if (!props.ttsModel) return;
    setSpeaking(true);
    setNote("");
    try {
      setAudio(await speak(split.answer || m.content, props.ttsModel));
    } catch (e) {
      setNote(e instanceof Error ? e.message : String(e));
    } finally {
      setSpeaking(false);
    }
  };

  return (
    <li class={`message ${m.role}`} data-role={m.role}>
      <h2 class="visually-hidden">{m.role === "user" ? "You" : `Answer${m.model ? ` from ${m.model}` : ""}`}</h2>
      {m.images?.length ? (
        <div class="thumbs">{m.images.map((src, i) => <img src={src} alt={`attached image ${i + 1}`} key={i} />)}</div>
      ) : null}
      {m.files?.map((f) => <p class="chip" key={f.name}>📄 {f.name}</p>)}
      {reasoning && (
        <details class="reasoning" open={props.streaming && !split.answer && !m.content.includes("</think>") ? true : undefined}>
          <summary>Reasoning</summary>
          <div class="reasoning-text">{reasoning}</div>
        </details>
      )}
      {editing ? (
        <form class="edit" onSubmit={(e) => {
          e.preventDefault();
          setEditing(false);
          props.onEdit?.(draft);
        }}>
          <label for="edit-text" class="visually-hidden">Edit message</label>
          <textarea id="edit-text" rows={3} value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
          <div class="row">
            <button type="submit" disabled={!draft.trim()}>Save and answer again</button>
            <button type="button" onClick={() => setEditing(false)}>Cancel</button>
          </div>
        </form>
      ) : m.role === "user" ? (
        <div class="text user-text">{m.content}</div>
      ) : (
        <div class="text markdown" dangerouslySetInnerHTML={{ __html: html }} />
      )}
      {props.streaming && <p class="typing" aria-hidden="true">…</p>}
      {m.stopped && <p class="note">Stopped.</p>}
      {m.error && <p class="error" role="alert">{m.error}</p>}
      {m.figures && <FiguresLine f={m.figures} />}
      {!props.streaming && !editing && (
        <div class="actions">
          {props.onEdit && <button type="button" disabled={props.busy} onClick={() => {
            setDraft(m.content);
            setEditing(true);
          }}>Edit</button>}
          {props.onRegenerate && <button type="button" disabled={props.busy} onClick={props.onRegenerate}>Regenerate</button>}
          {props.ttsModel && m.content && <button type="button" disabled={speaking} onClick={readAloud}>{speaking ? "Speaking…" : "Read aloud"}</button>}
          {m.content && <button type="button" onClick={() => void navigator.clipboard?.writeText(split.answer || m.content)}>Copy</button>}
        </div>
      )}
      {audio && <audio controls autoplay src={audio} aria-label="Answer read aloud" />}
      {note && <p class="error" role="alert">{note}</p>}
    </li>
  );
}
