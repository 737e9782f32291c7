// The one thing served without the key: a form that asks for it. The key stays in this tab's
// sessionStorage and travels as `Authorization: Bearer`, never in a URL.
import { useState } from "preact/hooks";

export function Login(props: { refused: boolean; onKey: (key: string) => Promise<void> }) {
  const [key, setKey] = useState("");
  const [busy, setBusy] = useState(false);
  return (
    <main class="login">
      <h1 class="brand">hearth</h1>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          await props.onKey(key.trim());
          setBusy(false);
        }}
      >
        <h2>This server needs an API key</h2>
        <p>It was started with <code>--api-key</code>. The key is kept in this tab only.</p>
        <label for="api-key">API key</label>
        <input id="api-key" type="password" autocomplete="current-password" value={key} onInput={(e) => setKey(e.currentTarget.value)} required />
        {props.refused && <p class="error" role="alert">That key was refused. Check the server's --api-key.</p>}
        <button type="submit" disabled={busy || !key.trim()}>Sign in</button>
      </form>
    </main>
  );
}
