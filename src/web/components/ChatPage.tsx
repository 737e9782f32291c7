// Chat: the conversations (kept in IndexedDB) beside the open one. New, switch, delete, export and
// import as JSON; on a phone the list folds behind a button.
import { useEffect, useState } from "preact/hooks";
import { deleteConversation, listConversations, saveConversation } from "../db.ts";
import { CHAT_TYPES } from "../format.ts";
import { DEFAULT_SAMPLING, type Conversation, type ModelEntry } from "../types.ts";
import { ChatView } from "./ChatView.tsx";

function defaultModel(models: ModelEntry[]): string {
  const chat = models.filter((m) => m.type && CHAT_TYPES.has(m.type));
  return (chat.find((m) => m.status?.state === "ready") ?? chat[0])?.id ?? "";
}

function newConversation(model: string): Conversation {
  return { id: crypto.randomUUID(), title: "New conversation", model, system: "", sampling: { ...DEFAULT_SAMPLING }, messages: [], updatedAt: Date.now() };
}

export function ChatPage(props: { models: ModelEntry[]; ready: boolean }) {
  const [convs, setConvs] = useState<Conversation[]>([]);
  const [current, setCurrent] = useState<string>("");
  const [listOpen, setListOpen] = useState(false);
  const [note, setNote] = useState("");
  // whether the stored conversations have been read: until then an empty list means "not yet"
  const [loaded, setLoaded] = useState(false);

  useEffect(() => {
    void listConversations().then((all) => {
      setConvs(all);
      setCurrent((c) => c || all[0]?.id || "");
      setLoaded(true);
    });
  }, []);

  const conv = convs.find((c) => c.id === current);

  const update = (c: Conversation, persist = true) => {
    setConvs((all) => {
      const i = all.findIndex((x) => x.id === c.id);
      return i < 0 ? [c, ...all] : all.map((x) => (x.id === c.id ? c : x));
    });
    if (persist) void saveConversation(c);
  };

  const create = () => {
    const c = newConversation(conv?.model || defaultModel(props.models));
    update(c);
    setCurrent(c.id);
    setListOpen(false);
  };

  // a first conversation as soon as the models are known and none is stored (were the models known
  // first, an empty one would join the stored ones read a moment later)
  useEffect(() => {
    if (props.ready && loaded && !conv && convs.length === 0) {
      const c = newConversation(defaultModel(props.models));
      update(c, false);
      setCurrent(c.id);
    }
  }, [props.ready, props.models, convs.length, loaded]);

  const exportAll = () => {
    const url = URL.createObjectURL(new Blob([JSON.stringify({ hearth: 1, conversations: convs }, null, 2)], { type: "application/json" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `hearth-conversations-${new Date().toISOString().slice(0, 10)}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const importFile = async (file: File) => {
    try {
      const parsed = JSON.parse(await file.text());
      const list: Conversation[] = Array.isArray(parsed) ? parsed : parsed.conversations;
      const valid = (c: Conversation) =>
        typeof c?.id === "string" && Array.isArray(c.messages) &&
        c.messages.every((m) => (m?.role === "user" || m?.role === "assistant") && typeof m.content === "string");
      if (!Array.isArray(list) || !list.every(valid)) throw new Error("not a hearth conversations file");
      for (const c of list) update({ ...newConversation(c.model), ...c });
      setNote(`imported ${list.length} conversation${list.length === 1 ? "" : "s"}`);
    } catch (e) {
      setNote(`could not import ${file.name}: ${e instanceof Error ? e.message : e}`);
    }
  };

  return (
    <div class={`chat-page${listOpen ? " list-open" : ""}`}>
      <aside class="conversations" aria-label="Conversations">
        <div class="row">
          <button type="button" onClick={create}>New conversation</button>
          <button type="button" class="only-phone" onClick={() => setListOpen(false)}>Close</button>
        </div>
        <ul>
          {convs.map((c) => (
            <li key={c.id} class={c.id === current ? "current" : ""}>
              <button type="button" class="link" aria-current={c.id === current ? "true" : undefined} onClick={() => {
                setCurrent(c.id);
                setListOpen(false);
              }}>
                {c.title}
              </button>
              <button type="button" class="icon" aria-label={`Delete ${c.title}`} title="Delete" onClick={async () => {
                await deleteConversation(c.id);
                setConvs((all) => all.filter((x) => x.id !== c.id));
                if (current === c.id) setCurrent("");
              }}>
                ×
              </button>
            </li>
          ))}
        </ul>
        <div class="row small">
          <button type="button" onClick={exportAll} disabled={convs.length === 0}>Export</button>
          <label class="button">
            Import
            <input type="file" accept="application/json,.json" class="visually-hidden" onChange={(e) => {
              const f = e.currentTarget.files?.[0];
              if (f) void importFile(f);
              e.currentTarget.value = "";
            }} />
          </label>
        </div>
        {note && <p class="note" role="status">{note}</p>}
      </aside>
      <main class="chat-main">
        <button type="button" class="only-phone list-toggle" onClick={() => setListOpen(true)}>Conversations</button>
        {conv ? <ChatView key={conv.id} conv={conv} models={props.models} update={update} /> : <p class="empty">Start a new conversation.</p>}
      </main>
    </div>
  );
}
