// The app's frame: the login form when the server wants a key, else a header with the views
// (chat, OCR & detection, models & machine), chosen by the URL's hash so a reload keeps the view.
import { useEffect, useState } from "preact/hooks";
import { ApiError, apiKey, getJson, onUnauthorized, setApiKey } from "../api.ts";
import type { ModelEntry } from "../types.ts";
import { Login } from "./Login.tsx";
import { ChatPage } from "./ChatPage.tsx";
import { CvView } from "./CvView.tsx";
import { ModelsView } from "./ModelsView.tsx";

type View = "chat" | "vision" | "models";
const VIEWS: { id: View; label: string }[] = [
  { id: "chat", label: "Chat" },
  { id: "vision", label: "OCR & detection" },
  { id: "models", label: "Models & machine" },
];

const viewOf = (hash: string): View => (VIEWS.find((v) => `#${v.id}` === hash)?.id ?? "chat");

export function App() {
  const [auth, setAuth] = useState<"checking" | "needed" | "ok">("checking");
  const [refused, setRefused] = useState(false);
  const [models, setModels] = useState<ModelEntry[]>([]);
  const [error, setError] = useState("");
  const [view, setView] = useState<View>(viewOf(location.hash));

  const refresh = async () => {
    try {
      const r = await getJson<{ models: ModelEntry[] }>("/hearth/models");
      setModels(r.models);
      setAuth("ok");
      setError("");
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return;
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  /** Asks whether a key is needed and the one held is right (a 200 either way), then loads the models. */
  const signIn = async () => {
    try {
      const a = await getJson<{ required: boolean; valid: boolean }>("/hearth/auth");
      if (a.required && !a.valid) {
        setRefused(apiKey() !== null);
        setAuth("needed");
        return;
      }
      setRefused(false);
      await refresh();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setAuth("ok");
    }
  };

  useEffect(() => {
    // a key that stops working (the server restarted with another) brings the form back
    const off = onUnauthorized(() => {
      setRefused(true);
      setAuth("needed");
    });
    const onHash = () => setView(viewOf(location.hash));
    addEventListener("hashchange", onHash);
    void signIn();
    return () => {
      off();
      removeEventListener("hashchange", onHash);
    };
  }, []);

  if (auth === "needed") {
    return (
      <Login
        refused={refused}
        onKey={async (key) => {
          setApiKey(key);
          await signIn();
        }}
      />
    );
  }

  return (
    <div class="frame">
      <header class="top">
        <h1 class="brand">hearth</h1>
        <nav aria-label="Views">
          {VIEWS.map((v) => (
            <a href={`#${v.id}`} aria-current={view === v.id ? "page" : undefined} key={v.id}>
              {v.label}
            </a>
          ))}
        </nav>
      </header>
      {error && <p class="banner error" role="alert">{error}</p>}
      {view === "chat" && <ChatPage models={models} ready={auth === "ok"} />}
      {view === "vision" && <CvView models={models} />}
      {view === "models" && <ModelsView models={models} refresh={refresh} />}
    </div>
  );
}
