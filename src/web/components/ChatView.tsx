// One conversation: the model and settings, the messages, and the composer. Answers stream in;
// deltas are gathered and drawn once per animation frame, so a model at thousands of tokens per
// second does not freeze the page. Stop aborts the request, which frees the server's slot.
import { useEffect, useRef, useState } from "preact/hooks";
import { chatBody, streamChat } from "../chatStream.ts";
import { CHAT_TYPES } from "../format.ts";
import type { Conversation, Message, ModelEntry } from "../types.ts";
import { Composer, type Draft } from "./Composer.tsx";
import { MessageView } from "./MessageView.tsx";
import { Settings } from "./Settings.tsx";

export function ChatView(props: { conv: Conversation; models: ModelEntry[]; update: (c: Conversation, persist?: boolean) => void }) {
  const { conv, models } = props;
  const [busy, setBusy] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const convRef = useRef(conv);
  convRef.current = conv;
  const end = useRef<HTMLDivElement>(null);

  const model = models.find((m) => m.id === conv.model);
  const chatModels = models.filter((m) => m.type && CHAT_TYPES.has(m.type));
  const asrModel = models.find((m) => m.type === "asr")?.id;
  const ttsModel = models.find((m) => m.type === "tts")?.id;

  useEffect(() => () => abort.current?.abort(), []);
  useEffect(() => end.current?.scrollIntoView({ block: "end" }), [conv.messages.length]);

  /** Sends `history` (ending with the user's turn) and streams the answer after it. */
  const run = async (history: Message[]) => {
    const c = convRef.current;
    const answer: Message = { role: "assistant", content: "", model: c.model };
    let live: Conversation = { ...c, messages: [...history, answer], updatedAt: Date.now() };
    if (c.title === "New conversation" && history[0]?.content) live.title = history[0].content.slice(0, 48);
    props.update(live);
    setBusy(true);
    const ctrl = new AbortController();
    abort.current = ctrl;
    const pending = { content: "", reasoning: "" };
    let frame = 0;
    const flush = () => {
      frame = 0;
      if (!pending.content && !pending.reasoning) return;
      const last = live.messages[live.messages.length - 1];
      const next = { ...last, content: last.content + pending.content, reasoning: (last.reasoning ?? "") + pending.reasoning || undefined };
      pending.content = pending.reasoning = "";
      live = { ...live, messages: [...live.messages.slice(0, -1), next] };
      props.update(live, false);
    };
    const finish = (patch: Partial<Message>) => {
      cancelAnimationFrame(frame);
      flush();
      const last = live.messages[live.messages.length - 1];
      live = { ...live, messages: [...live.messages.slice(0, -1), { ...last, ...patch }], updatedAt: Date.now() };
      props.update(live);
    };
    try {
      const r = await streamChat(chatBody(c, history), ctrl.signal, (d) => {
        pending.content += d.content ?? "";
        pending.reasoning += d.reasoning ?? "";
        frame ||= requestAnimationFrame(flush);
      });
      finish({ figures: r.figures });
    } catch (e) {
      if (ctrl.signal.aborted) finish({ stopped: true });
      else finish({ error: e instanceof Error ? e.message : String(e) });
    } finally {
      abort.current = null;
      setBusy(false);
    }
  };

  const send = (d: Draft) => {
    const msg: Message = { role: "user", content: d.text };
    if (d.images.length) msg.images = d.images;
    if (d.files.length) msg.files = d.files;
    void run([...conv.messages, msg]);
  };

  /** Replaces message i (a user turn) and answers again from there. */
  const edit = (i: number, text: string) => void run([...conv.messages.slice(0, i), { ...conv.messages[i], content: text }]);
  /** Drops the answer at i and asks again. */
  const regenerate = (i: number) => void run(conv.messages.slice(0, i));

  return (
    <section class="chat" aria-label="Chat">
      <div class="chat-head">
        <label for="model-select">Model</label>
        <select id="model-select" value={conv.model} onChange={(e) => props.update({ ...conv, model: e.currentTarget.value })}>
          {!model && <option value={conv.model}>{conv.model || "no chat model"}</option>}
          {chatModels.map((m) => (
            <option value={m.id} key={m.id}>
              {m.id} ({m.type}{m.status?.state === "ready" ? ", loaded" : ""})
            </option>
          ))}
        </select>
        <Settings conv={conv} update={props.update} />
      </div>
      <ol class="messages" aria-live="polite" aria-busy={busy}>
        {conv.messages.map((m, i) => (
          <MessageView
            key={i}
            message={m}
            streaming={busy && i === conv.messages.length - 1}
            busy={busy}
            ttsModel={ttsModel}
            onEdit={m.role === "user" ? (text) => edit(i, text) : undefined}
            onRegenerate={m.role === "assistant" ? () => regenerate(i) : undefined}
          />
        ))}
      </ol>
      <div ref={end} />
      <Composer
        busy={busy}
        vision={model?.type === "vlm"}
        asrModel={asrModel}
        disabled={!conv.model}
        onSend={send}
        onStop={() => abort.current?.abort()}
      />
    </section>
  );
}
