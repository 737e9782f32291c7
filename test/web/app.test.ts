// The web app in a real browser (Debian's chromium through playwright-core) against a real
// `hearth serve` with fixture models: streamed chat with hearth's figures, stop freeing the slot,
// conversations surviving a reload, an image to a VLM, a WAV to speech recognition, OCR of
// examples/hello.png, load and unload from the picker, the plan panel, and the API-key login.
// Every page is checked for console errors and axe-core's serious or critical violations, and
// screenshots at desktop and phone widths land in .cache/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../../fixtures/index.ts";
import { ensureVlmFixture, imageTokens } from "../../fixtures/mmproj.ts";
import { ensureWhisperFixture } from "../../fixtures/whisperGgml.ts";
import { ensureTtsFixture } from "../../fixtures/speechOnnx.ts";
import { ensureYoloFixture } from "../../fixtures/yolo.ts";
import { NO_END_LOGIT_BIAS } from "../../fixtures/vocab.ts";
import { repoRoot } from "../helpers/cli.ts";
import { say } from "../multimodal/speech.ts";
import { idOf, startServer, useTempHome, type TestServer } from "../server/helpers.ts";
import { openBrowser, screenshots, seriousViolations, SCREENSHOTS, type Session } from "./browser.ts";

useTempHome();
const tmp = mkdtempSync(path.join(os.tmpdir(), "hearth-web-"));
let server: TestServer;
let browser: Session;
let text: string;
let vlm: string;
let asr: string;
let tts: string;
let spec: Awaited<ReturnType<typeof ensureVlmFixture>>["spec"];
let wav: string;

before(async () => {
  // the app is built as the package builds it; a fresh clone has no dist/web until then
  const built = spawnSync(process.execPath, [path.join(repoRoot, "scripts/build-web.mjs")], { cwd: repoRoot, encoding: "utf8" });
  assert.equal(built.status, 0, built.stderr);
  const fx = await ensureVlmFixture();
  spec = fx.spec;
  const tools = await ensureFixture("tools");
  const whisper = await ensureWhisperFixture();
  vlm = idOf(fx.model);
  text = idOf(tools);
  asr = path.basename(whisper).replace(/\.bin$/, "");
  const ttsDir = ensureTtsFixture();
  tts = path.basename(ttsDir);
  wav = say("hello from the web app", path.join(tmp, "hello.wav"));
  // the projector pairs with the first .gguf given; nothing unloads on its own (a slow machine idles models past a keep-alive)
  server = await startServer({
    models: [fx.model, tools, whisper, ttsDir, ensureYoloFixture("constant")],
    mmproj: fx.mmproj,
    load: { threads: 1, contextSize: 4096 },
    keepAliveSec: -1,
  });
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const page = () => browser.page;

async function noErrors(where: string) {
  assert.deepEqual(browser.errors, [], `console errors on ${where}`);
  assert.deepEqual(await seriousViolations(page()), [], `accessibility on ${where}`);
}

async function chooseModel(id: string) {
  await page().selectOption("#model-select", id);
}

async function sendAndWait(message: string) {
  const answers = await page().locator(".message.assistant").count();
  await page().fill("#prompt", message);
  await page().press("#prompt", "Enter");
  const answer = page().locator(".message.assistant").nth(answers);
  await answer.locator("[data-testid=figures]").waitFor({ timeout: 120_000 });
  return answer;
}

test("the app loads small, with no console error or serious accessibility problem", async () => {
  const sizes: Record<string, number> = {};
  const elsewhere: string[] = [];
  page().on("request", (r) => {
    if (!r.url().startsWith(`${server.base}/`) && !/^(data|blob):/.test(r.url())) elsewhere.push(r.url());
  });
  page().on("response", async (r) => {
    const s = await r
      .request()
      .sizes()
      .catch(() => undefined);
    if (s) sizes[new URL(r.url()).pathname] = s.responseBodySize + s.responseHeadersSize;
  });
  const res = await page().goto(`${server.base}/`);
  assert.equal(res?.status(), 200);
  assert.match(res!.headers()["content-security-policy"], /script-src 'self'/);
  await page().locator("#model-select option", { hasText: text }).waitFor({ state: "attached" });
  await page().waitForLoadState("networkidle");
  const app = Object.entries(sizes)
    .filter(([p]) => !p.startsWith("/hearth/"))
    .reduce((n, [, b]) => n + b, 0);
  const all = Object.values(sizes).reduce((n, b) => n + b, 0);
  mkdirSync(SCREENSHOTS, { recursive: true });
  writeFileSync(
    path.join(SCREENSHOTS, "..", "first-load.json"),
    JSON.stringify({ appBytes: app, withApiBytes: all, files: sizes }, null, 2),
  );
  console.log(`first load: ${app} bytes transferred for the app's files, ${all} with its API calls`);
  assert.ok(app > 10_000 && app < 500_000, `first load ${app} bytes`);
  assert.deepEqual(elsewhere, [], "no request to another origin");
  await noErrors("the chat page");
});

test("a message streams an answer, rendered as it arrives, with hearth's figures under it", async () => {
  await chooseModel(text);
  let streamed = false;
  page().on("response", (r) => {
    if (r.url().endsWith("/v1/chat/completions") && r.headers()["content-type"]?.startsWith("text/event-stream")) streamed = true;
  });
  // the app's own sampling (temperature 0.7, a random seed) picks an end token first on about 2% of
  // seeds with this random-weight model, which leaves no answer to render: its request goes out with
  // the fixture's end tokens banned and a short limit
  const route = "**/v1/chat/completions";
  await page().route(route, (r) =>
    r.continue({ postData: JSON.stringify({ ...r.request().postDataJSON(), logit_bias: NO_END_LOGIT_BIAS, max_tokens: 48 }) }),
  );
  const answer = await sendAndWait("Hello there").finally(() => page().unroute(route));
  assert.ok(streamed, "the answer came as server-sent events");
  const figures = await answer.locator("[data-testid=figures]").innerText();
  // "<n> tokens (<m> in)" and the engine and device hearth ran it on
  const tokens = Number(/(\d+) tokens \(/.exec(figures)?.[1]);
  assert.equal(tokens, 48, figures);
  assert.match(figures, / on cpu$/);
  assert.equal(await page().locator(".message.user .user-text").first().innerText(), "Hello there");
  await screenshots(page(), "chat");
  await noErrors("a chat with an answer");
});

test("stop cancels the generation on the server: the slot is freed and the abort counted", async () => {
  await page().click(".settings summary");
  // a random-weight model may pick an end token after a few tokens (it did, on some runs: a reused
  // KV-cache prefix changes the logits a little), leaving nothing to stop: the app's request goes out
  // with the fixture's end tokens banned, so the answer runs until stopped
  await page().route("**/v1/chat/completions", (route) =>
    route.continue({ postData: JSON.stringify({ ...route.request().postDataJSON(), logit_bias: NO_END_LOGIT_BIAS }) }),
  );
  await page().fill("#sampling-temperature", "0");
  await page().locator("#sampling-temperature").blur();
  await page().fill("#sampling-max_tokens", "100000");
  await page().locator("#sampling-max_tokens").blur();
  await page().click(".settings summary");
  const answers = await page().locator(".message.assistant").count();
  await page().fill("#prompt", "Write a very long story");
  await page().press("#prompt", "Enter");
  const answer = page().locator(".message.assistant").nth(answers);
  // wait until text arrives, then stop
  await page().waitForFunction(
    (n) => {
      const m = document.querySelectorAll(".message.assistant")[n];
      return `${m?.querySelector(".markdown")?.textContent ?? ""}${m?.querySelector(".reasoning-text")?.textContent ?? ""}`.length > 20;
    },
    answers,
    { timeout: 60_000 },
  );
  await page().getByRole("button", { name: "Stop", exact: true }).click();
  await answer.getByText("Stopped.").waitFor();
  let metrics = "";
  for (let i = 0; i < 50; i++) {
    metrics = await (await fetch(`${server.base}/metrics`)).text();
    if (new RegExp(`hearth_active_requests\\{model="${text}"\\} 0`).test(metrics)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.match(metrics, new RegExp(`hearth_active_requests\\{model="${text}"\\} 0`));
  assert.match(metrics, new RegExp(`hearth_requests_aborted_total\\{model="${text}"\\} [1-9]`));
  // the composer is ready again
  await page().getByRole("button", { name: "Send" }).waitFor();
  await page().unroute("**/v1/chat/completions");
  await noErrors("a stopped answer");
});

test("conversations are kept in the browser: a second one, a reload, and the first is intact", async () => {
  const first = await page().locator(".message").allInnerTexts();
  await page().getByRole("button", { name: "New conversation" }).click();
  await chooseModel(text);
  await sendAndWait("Second conversation");
  await page().reload();
  await page().locator(".conversations li").nth(1).waitFor();
  assert.equal(await page().locator(".conversations li").count(), 2);
  await page().locator(".conversations li button.link", { hasText: "Hello there" }).click();
  await page().locator(".message.user").first().waitFor();
  const again = await page().locator(".message").allInnerTexts();
  assert.deepEqual(again, first);
  await noErrors("a reloaded conversation");
});

test("a past message is edited and answered again; an answer is regenerated", async () => {
  // this conversation kept the stop test's 100000-token limit: short answers here
  await page().click(".settings summary");
  await page().fill("#sampling-max_tokens", "32");
  await page().locator("#sampling-max_tokens").blur();
  await page().click(".settings summary");
  await page().locator(".message.user").first().getByRole("button", { name: "Edit" }).click();
  await page().fill(".message.user textarea", "An edited question");
  const answered = page().waitForResponse((r) => r.url().endsWith("/v1/chat/completions"));
  await page().getByRole("button", { name: "Save and answer again" }).click();
  const sent = JSON.parse((await answered).request().postData()!);
  // the edit replaces the turn and drops what followed it
  assert.deepEqual(
    sent.messages.map((m: { content: string }) => m.content),
    ["An edited question"],
  );
  await page().locator(".message.assistant [data-testid=figures]").waitFor({ timeout: 120_000 });
  assert.equal(await page().locator(".message").count(), 2);
  assert.equal(await page().locator(".message.user .user-text").innerText(), "An edited question");

  const again = page().waitForResponse((r) => r.url().endsWith("/v1/chat/completions"));
  await page().getByRole("button", { name: "Regenerate" }).click();
  assert.equal(JSON.parse((await again).request().postData()!).messages.length, 1);
  await page().locator(".message.assistant [data-testid=figures]").waitFor({ timeout: 120_000 });
  assert.equal(await page().locator(".message").count(), 2);
  await noErrors("an edited conversation");
});

test("an answer is read aloud through the TTS model", async () => {
  const spoken = page().waitForResponse((r) => r.url().endsWith("/v1/audio/speech"), { timeout: 120_000 });
  await page().locator(".message.assistant").first().getByRole("button", { name: "Read aloud" }).click();
  const res = await spoken;
  assert.equal(res.status(), 200);
  assert.equal(JSON.parse(res.request().postData()!).model, tts);
  const audio = page().locator(".message.assistant audio");
  await audio.waitFor();
  assert.match((await audio.getAttribute("src"))!, /^blob:/);
  const seconds = await audio.evaluate((a: HTMLAudioElement) =>
    a.readyState >= 1
      ? a.duration
      : new Promise<number>((resolve) => a.addEventListener("loadedmetadata", () => resolve(a.duration), { once: true })),
  );
  assert.ok(seconds > 0, `${seconds} s of speech`);
  await noErrors("an answer read aloud");
});

test("conversations export and import as JSON; Markdown, reasoning and code render, raw HTML does not run", async () => {
  const download = page().waitForEvent("download");
  await page().getByRole("button", { name: "Export" }).click();
  const exported = JSON.parse(readFileSync((await (await download).path())!, "utf8"));
  assert.ok(
    exported.conversations.some((c: { messages: { content: string }[] }) => c.messages.some((m) => m.content === "Second conversation")),
  );

  const file = path.join(tmp, "import.json");
  const answer =
    '<think>planning the answer</think>Some **bold** text.\n\n```js\nconst x = 1;\n```\n\n<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
  writeFileSync(
    file,
    JSON.stringify({
      hearth: 1,
      conversations: [
        {
          id: "imported-1",
          title: "Imported",
          model: text,
          system: "",
          sampling: { temperature: 0, top_p: 1, max_tokens: 16 },
          messages: [
            { role: "user", content: "show me" },
            { role: "assistant", content: answer },
          ],
          updatedAt: Date.now() + 60_000,
        },
      ],
    }),
  );
  await page().setInputFiles(".conversations input[type=file]", file);
  await page().getByText("imported 1 conversation").waitFor();
  await page().locator(".conversations li button.link", { hasText: "Imported" }).click();
  const m = page().locator(".message.assistant").first();
  await m.locator(".markdown strong", { hasText: "bold" }).waitFor();
  assert.equal(await m.locator("details.reasoning .reasoning-text").textContent(), "planning the answer");
  assert.ok(!(await m.locator(".markdown").innerText()).includes("planning the answer"), "reasoning is kept out of the answer");
  assert.ok((await m.locator(".markdown pre code.hljs .hljs-keyword").count()) > 0, "code is highlighted");
  assert.equal(await m.locator(".markdown img, .markdown script").count(), 0);
  assert.equal(await page().evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
  // a file that is not a conversations export is refused with a note, and nothing is added
  const count = await page().locator(".conversations li").count();
  const bad = path.join(tmp, "bad.json");
  writeFileSync(bad, JSON.stringify({ conversations: [{ id: "x", messages: [{ role: "user", content: 5 }] }] }));
  await page().setInputFiles(".conversations input[type=file]", bad);
  await page()
    .getByText(/could not import bad\.json: not a hearth conversations file/)
    .waitFor();
  assert.equal(await page().locator(".conversations li").count(), count);
  await page().click("details.reasoning summary");
  await screenshots(page(), "markdown");
  await noErrors("an imported conversation");
});

test("an image attached to the vision model reaches it; a text-only model offers no image button", async () => {
  await page().getByRole("button", { name: "New conversation" }).click();
  await chooseModel(text);
  assert.equal(await page().locator(".composer-bar label.button").first().innerText(), "File");
  await chooseModel(vlm);
  assert.equal(await page().locator(".composer-bar label.button").first().innerText(), "Image or file");
  await page().setInputFiles("[data-testid=attach]", path.join(repoRoot, "examples/hello.png"));
  await page().locator(".composer .thumb img").waitFor();
  const answer = await sendAndWait("What does this image say?");
  const figures = await answer.locator("[data-testid=figures]").innerText();
  const promptTokens = Number(/\((\d+) in\)/.exec(figures)?.[1]);
  assert.ok(promptTokens >= imageTokens(spec), `${promptTokens} prompt tokens: the image's ${imageTokens(spec)} were not in the prompt`);
  await page().locator(".message.user .thumbs img").waitFor();
  await noErrors("a vision conversation");
});

test("a WAV uploaded to speech recognition puts its transcript in the composer", async () => {
  await page().fill("#prompt", "");
  // what the server transcribed (random weights: words of no language, but words)
  const answered = page().waitForResponse((r) => r.url().endsWith("/v1/audio/transcriptions"), { timeout: 240_000 });
  await page().setInputFiles("[data-testid=audio]", wav);
  const res = await answered;
  assert.equal(res.status(), 200);
  const { text: heard } = (await res.json()) as { text: string };
  await page()
    .getByText(/transcript added|the model heard no words/)
    .waitFor();
  assert.equal(await page().inputValue("#prompt"), heard.trim());
  await noErrors("the composer after a transcription");
});

test("examples/hello.png dropped in the OCR view shows its two lines, boxed on the image", async () => {
  await page().goto(`${server.base}/#vision`);
  await page().locator("#cv-model option", { hasText: "ocr" }).waitFor({ state: "attached" });
  const png = readFileSync(path.join(repoRoot, "examples/hello.png")).toString("base64");
  await page().evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], "hello.png", { type: "image/png" }));
    document
      .querySelector("[data-testid=cv-drop]")!
      .dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, png);
  const lines = page().locator("[data-testid=ocr-lines] li");
  await lines.nth(1).waitFor({ timeout: 120_000 });
  assert.equal(await lines.count(), 2);
  const read = (await lines.allInnerTexts()).join("\n");
  assert.match(read, /hearth runs models on your machine/);
  assert.match(read, /OCR from an npm package, no download/);
  assert.equal(await page().locator(".cv-stage svg polygon").count(), 2);
  await screenshots(page(), "ocr");
  await noErrors("the OCR view");
});

test("detection draws each object's box and label on the image", async () => {
  // the constant fixture finds one "dog" wherever it looks
  await page().selectOption("#cv-model", "yolo-constant-g1");
  await page().selectOption("#cv-task", "detect");
  await page().setInputFiles("[data-testid=cv-file]", path.join(repoRoot, "examples/hello.png"));
  await page().locator(".cv-stage svg rect").first().waitFor({ timeout: 120_000 });
  assert.match((await page().locator(".cv-stage svg text").first().textContent()) ?? "", /^dog \d+%$/);
  assert.match(await page().locator("#det-list + ul").innerText(), /dog/);
  await noErrors("the detection view");
});

test("models: the plan shows engine, device and reasons", async () => {
  await page().goto(`${server.base}/#models`);
  const row = page().locator(`tr[data-model="${asr}"]`);
  await row.waitFor();
  await row.getByRole("button", { name: asr, exact: true }).click();
  const chosen = page().locator("[data-testid=plan-chosen]");
  // the first plan probes the machine's engines, each in a process of its own: slow on a busy machine
  await chosen.waitFor({ timeout: 240_000 });
  assert.match(await chosen.innerText(), /Runs with \S+ on cpu/);
  assert.ok((await page().locator(".plan .reasons li").count()) > 0);
  await page().locator("#devices-title + table, #devices-title ~ .table-wrap table").first().waitFor();
  await screenshots(page(), "models");
  await noErrors("the models view");
});

test("models: a model unloads and loads from the picker", async () => {
  await page().goto(`${server.base}/#models`);
  const row = page().locator(`tr[data-model="${asr}"]`);
  await row.waitFor();
  // exact: a role name matches as a case-insensitive substring, and "Unload <id>" contains "load <id>"
  const button = (what: "Load" | "Unload") => row.getByRole("button", { name: `${what} ${asr}`, exact: true });
  const health = async () => ((await (await fetch(`${server.base}/health`)).json()) as { models: { id: string; state: string }[] }).models;
  // loaded, or the error the app showed (a failed load says why)
  const loadedOrError = () =>
    page().locator(`tr[data-model="${asr}"] .state:text-is("loaded"), .models-view .error`).first().waitFor({ timeout: 240_000 });
  if ((await button("Load").count()) > 0) {
    await button("Load").click();
    await loadedOrError();
    assert.equal(await page().locator(".models-view .error").count(), 0, await page().locator(".models-view").innerText());
  }
  assert.ok((await health()).some((m) => m.id === asr));
  await button("Unload").click();
  await row.locator(".state", { hasText: "not loaded" }).waitFor();
  assert.ok(!(await health()).some((m) => m.id === asr));
  await button("Load").click();
  await loadedOrError();
  assert.equal(await page().locator(".models-view .error").count(), 0);
  assert.ok((await health()).some((m) => m.id === asr && m.state === "ready"));
  // where it runs: a runner process of its own (the server's default), named by its pid
  const listed = (await (await fetch(`${server.base}/hearth/models`)).json()) as {
    models: { id: string; status: { pid?: number } | null }[];
  };
  const pid = listed.models.find((m) => m.id === asr)?.status?.pid;
  assert.ok(pid !== undefined && pid !== process.pid, `pid ${pid}`);
  await row.locator(".process", { hasText: `runner ${pid}` }).waitFor();
  await screenshots(page(), "models-loaded");
  await noErrors("the models view");
});

test("with --api-key the app asks for the key, refuses a wrong one and opens with the right one", async () => {
  const locked = await startServer({ apiKey: "right-key" });
  try {
    assert.equal((await fetch(`${locked.base}/hearth/models`)).status, 401);
    await page().goto(`${locked.base}/`);
    await page().getByLabel("API key").waitFor();
    await screenshots(page(), "login");
    await page().fill("#api-key", "wrong-key");
    await page().getByRole("button", { name: "Sign in" }).click();
    await page().getByText("That key was refused").waitFor();
    assert.equal(await page().locator("nav").count(), 0, "nothing but the form without the key");
    await page().fill("#api-key", "right-key");
    await page().getByRole("button", { name: "Sign in" }).click();
    await page().getByRole("navigation", { name: "Views" }).waitFor();
    // the key lives in the tab's session storage, never in the URL
    assert.equal(await page().evaluate(() => sessionStorage.getItem("hearth.apiKey")), "right-key");
    assert.ok(!page().url().includes("right-key"));
    await noErrors("the login form");
  } finally {
    await locked.close();
  }
});
