// hearth as a stranger installs it: `npm pack`, then `npm install <tarball>` into a fresh project
// with no .npmrc of ours (dependencies from the registry), and there: plain node imports the SDK, a
// strict TypeScript file type-checks against the shipped declarations, `npx hearth` answers on the
// tiny fixture from compiled JS (no tsx is installed there, so runners and probes cannot use it),
// the server's runner process loads a model, ONNX Runtime is not installed (its install step
// downloads) and the OCR engine says how to add it in one line; `npm i -g` of the same tarball runs
// the same. Slow (two installs): about 3-5 minutes with a warm npm cache.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../../fixtures/index.ts";
import { repoRoot } from "../helpers/cli.ts";
import { startServe } from "../helpers/serveProcess.ts";

const work = mkdtempSync(path.join(os.tmpdir(), "hearth-tarball-"));
const project = path.join(work, "consumer");
const home = path.join(work, "home");
// npm runs in a project of its own: no .npmrc of ours, no npm_config_* inherited from `npm test`
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const env = { ...cleanEnv, HEARTH_HOME: home, NO_COLOR: "1", HEARTH_API_KEY: "" };

function sh(cmd: string, args: string[], cwd: string, timeoutMs = 600_000) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

function pack(): string {
  // `npm pack` runs `prepare`, which builds dist/ (swapped in whole: a running hearth never sees it half-built)
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", work], {
    cwd: repoRoot,
    env: cleanEnv,
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  const [info] = JSON.parse(out.slice(out.indexOf("["))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const paths = info!.files.map((f) => f.path);
  assert.ok(
    paths.includes("dist/index.js") && paths.includes("dist/index.d.ts") && paths.includes("dist/cli/verbs.json"),
    "the compiled package is packed",
  );
  assert.ok(paths.includes("README.md") && paths.includes("LICENSE") && paths.includes("bin/hearth.js"));
  const stray = paths.filter((p) => /^(src|test|fixtures|scripts|docs|examples)\//.test(p) || (p.endsWith(".ts") && !p.endsWith(".d.ts")));
  assert.deepEqual(stray, [], "no sources, tests, fixtures or scripts in the tarball");
  if (process.platform === "linux" && process.arch === "x64")
    assert.ok(paths.includes("native/build/llama-threads.node"), "the llama.cpp thread-pool helper is packed");
  return path.join(work, info!.filename);
}

test("the packed tarball installs into a fresh project and works there: SDK, types, CLI, server", { timeout: 1_800_000 }, async (t) => {
  const tarball = pack();
  mkdirSync(project);
  writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }));
  const tsVersion = JSON.parse(readFileSync(path.join(repoRoot, "node_modules/typescript/package.json"), "utf8")).version as string;
  const typesNode = JSON.parse(readFileSync(path.join(repoRoot, "node_modules/@types/node/package.json"), "utf8")).version as string;
  const install = sh(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball, `typescript@${tsVersion}`, `@types/node@${typesNode}`],
    project,
  );
  assert.equal(install.code, 0, `npm install failed:\n${install.stderr}`);
  // ONNX Runtime's install step downloads its CUDA provider: hearth leaves that package to the user
  assert.equal(existsSync(path.join(project, "node_modules/onnxruntime-node")), false, "onnxruntime-node is not installed with hearth");
  assert.equal(existsSync(path.join(project, "node_modules/tsx")), false, "tsx is a devDependency of hearth, not installed with it");

  await t.test("plain node imports the SDK classes; an unexported subpath is Node's clear error", () => {
    const r = sh(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import * as h from "hearth"; console.log(["LLM","Embedder","VLM","ASR","TTS","OCR"].map((k) => k + ":" + typeof h[k]).join(" "));`,
      ],
      project,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "LLM:function Embedder:function VLM:function ASR:function TTS:function OCR:function");
    const deep = sh(process.execPath, ["--input-type=module", "-e", `await import("hearth/dist/sdk/LLM.js")`], project);
    assert.notEqual(deep.code, 0);
    assert.match(deep.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });

  await t.test("a strict TypeScript file using LLM.load/complete/dispose type-checks (nodenext), and a type error is caught", () => {
    writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
        },
        include: ["*.ts"],
      }),
    );
    writeFileSync(
      path.join(project, "app.ts"),
      [
        `import { LLM, type GenerationResult } from "hearth";`,
        `const llm = await LLM.load(process.argv[2] ?? "qwen3", { threads: 1 });`,
        `const result: GenerationResult = await llm.complete("Once upon a time", { maxTokens: 4 }).result;`,
        `const tokens: number = result.usage.completionTokens;`,
        `console.log(result.text, tokens, result.profile.ttftMs);`,
        `await llm.dispose();`,
        "",
      ].join("\n"),
    );
    const tsc = path.join(project, "node_modules/typescript/bin/tsc");
    const ok = sh(process.execPath, [tsc, "-p", "."], project);
    assert.equal(ok.code, 0, `tsc:\n${ok.stdout}${ok.stderr}`);
    writeFileSync(
      path.join(project, "wrong.ts"),
      `import { LLM } from "hearth";\nconst n: number = (await LLM.load("x")).complete("hi");\n`,
    );
    const bad = sh(process.execPath, [tsc, "-p", "."], project);
    rmSync(path.join(project, "wrong.ts"));
    assert.notEqual(bad.code, 0, "the declarations are real types, not any");
    assert.match(bad.stdout, /wrong\.ts.*GenerationStream.*number/);
  });

  const tiny = await ensureFixture("tiny");

  await t.test(
    "the SDK runs llama.cpp's prebuilt CPU build on a persistent thread pool and its native token loop there",
    { skip: process.arch !== "x64" || process.platform !== "linux" },
    () => {
      // a file, not -e: node-llama-cpp tests its binding in a child started with this process's execArgv
      const script = path.join(project, "pool.mjs");
      writeFileSync(
        script,
        `import { LLM } from "hearth";\nconst m = await LLM.load(${JSON.stringify(tiny)}, { contextSize: 128 });\nconst s = m.info.settings;\nconst r = await m.complete("Once upon a time", { temperature: 0, maxTokens: 8 }).result;\nconsole.log(JSON.stringify({ build: s.llamaBuild, pool: s.threadPool, note: s.threadPoolNote, loop: s.tokenLoop, tokens: r.usage.completionTokens }));\nawait m.dispose();\n`,
      );
      const r = sh(process.execPath, [script], project);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout.trim().split("\n").pop()!), {
        build: "prebuilt",
        pool: "persistent",
        loop: "native",
        tokens: 8,
      });
    },
  );

  await t.test("npx hearth infer answers on the tiny fixture from compiled JS", () => {
    const r = sh(
      "npx",
      ["--no-install", "hearth", "infer", tiny, "-p", "hi", "--max-tokens", "4", "-t", "1", "--temperature", "0", "--json"],
      project,
    );
    assert.equal(r.code, 0, r.stderr);
    const answer = JSON.parse(r.stdout.trim().split("\n").pop()!) as { usage?: { completion_tokens: number } };
    assert.equal(answer.usage?.completion_tokens, 4, r.stdout);
  });

  await t.test("hearth serve loads the model in a runner process started from compiled JS and answers", async () => {
    const bin = path.join(project, "node_modules/.bin/hearth");
    const serve = await startServe([bin, "serve", tiny, "--port", "0", "--threads", "1", "--parallel", "1"], {
      cwd: project,
      env,
      timeoutMs: 300_000,
    });
    try {
      const r = await fetch(`${serve.base}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: path.basename(tiny, ".gguf"),
          messages: [{ role: "user", content: "hi" }],
          max_tokens: 3,
          temperature: 0,
        }),
      });
      const body = await r.text();
      assert.equal(r.status, 200, body);
      const answer = JSON.parse(body) as { choices: Array<{ message: { role: string } }>; usage: { completion_tokens: number } };
      assert.equal(answer.choices[0]?.message.role, "assistant");
      // the random-weight model may end its text before the limit; it generated something
      assert.ok(answer.usage.completion_tokens >= 1 && answer.usage.completion_tokens <= 3, body);
    } finally {
      serve.child.kill("SIGTERM");
    }
    assert.equal(await serve.exited, 0, serve.stderr());
  });

  await t.test("OCR without onnxruntime-node: one line that names the engine and the command that adds it", () => {
    const r = sh("npx", ["--no-install", "hearth", "infer", "ocr", path.join(repoRoot, "examples/hello.png")], project);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /the onnx engine needs onnxruntime-node, which is not installed/);
    assert.match(lines[0]!, /npm install onnxruntime-node@\d+\.\d+\.\d+/);
  });

  await t.test("npm i -g of the tarball: the global hearth runs the same", () => {
    const prefix = path.join(work, "global");
    const g = sh("npm", ["install", "-g", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", tarball], work);
    assert.equal(g.code, 0, `npm i -g failed:\n${g.stderr}`);
    const hearth = path.join(prefix, "bin/hearth");
    const version = sh(hearth, ["--version"], os.tmpdir());
    assert.equal(version.stdout.trim(), JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")).version);
    const r = sh(hearth, ["infer", tiny, "-p", "hi", "--max-tokens", "4", "-t", "1", "--temperature", "0", "--json"], os.tmpdir());
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout.trim().split("\n").pop()!) as { usage?: { completion_tokens: number } }).usage?.completion_tokens, 4);
  });
});

test.after(() => rmSync(work, { recursive: true, force: true }));
