// `hearth functioncall` through the real CLI: a forced call on the tools fixture (Qwen3's template)
// is printed parsed; malformed tool files and unknown tool choices are refused before loading.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureFixture } from "../../fixtures/index.ts";
import { runHearth } from "../helpers/cli.ts";

const env = { HEARTH_HOME: mkdtempSync(path.join(os.tmpdir(), "hearth-fc-")) };
const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-fc-files-"));
const toolsModel = await ensureFixture("tools");

function file(name: string, body: unknown): string {
  const f = path.join(dir, name);
  writeFileSync(f, typeof body === "string" ? body : JSON.stringify(body));
  return f;
}

// enums and integers keep a random model's arguments short (a free string could run to the limit)
const weather = file("weather.json", {
  type: "function",
  function: {
    name: "get_weather",
    description: "current weather in a city",
    parameters: { type: "object", properties: { city: { enum: ["paris", "london"] }, days: { type: "integer" } }, required: ["city"] },
  },
});
const time = file("time.json", [
  { name: "get_time", description: "the time", parameters: { type: "object", properties: { zone: { enum: ["utc", "local"] } } } },
]);
const base = [
  "functioncall",
  toolsModel,
  "-p",
  "what is the weather in paris?",
  "-t",
  "1",
  "--temperature",
  "0",
  "-n",
  "120",
  "--no-parallel-tool-calls",
];

test("--tool-choice required prints the parsed call: name and JSON arguments", async () => {
  const r = await runHearth([...base, "--tool", weather, "--tool", time, "--tool-choice", "required"], { env });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1);
  const m = /^(get_weather|get_time) (\{.*\})$/.exec(lines[0]);
  assert.ok(m, lines[0]);
  const args = JSON.parse(m[2]);
  if (m[1] === "get_weather") assert.ok(["paris", "london"].includes(args.city));
  assert.match(r.stderr, /tok\/s · \d+ tokens/);
});

test("--tool-choice NAME with --json: the named tool's call, arguments as an object", async () => {
  const r = await runHearth([...base, "--tool", weather, "--tool", time, "--tool-choice", "get_time", "--json"], { env });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.finish_reason, "tool_calls");
  assert.equal(doc.tool_calls.length, 1);
  assert.equal(doc.tool_calls[0].name, "get_time");
  assert.match(doc.tool_calls[0].id, /^call_/);
  assert.equal(typeof doc.tool_calls[0].arguments, "object");
  assert.ok(doc.profile.promptTokens > 0);
});

test("malformed tool files and unknown tool choices: one line, exit 2, no model loaded", async () => {
  const bad = await runHearth([...base, "--tool", file("bad.json", '{"type":"function",')], { env });
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, "");
  assert.equal(bad.stderr.trim().split("\n").length, 1);
  assert.match(bad.stderr, /tool file .*bad\.json: not valid JSON/);
  const noName = await runHearth([...base, "--tool", file("noname.json", { type: "function", function: { description: "x" } })], { env });
  assert.equal(noName.code, 2);
  assert.match(noName.stderr, /noname\.json: the tool needs a "name"/);
  const missing = await runHearth([...base, "--tool", path.join(dir, "absent.json")], { env });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read tool file .*absent\.json: ENOENT/);
  const choice = await runHearth([...base, "--tool", weather, "--tool-choice", "get_stock"], { env });
  assert.equal(choice.code, 2);
  assert.match(choice.stderr, /--tool-choice "get_stock" is not auto, none, required or a tool's name \(tools: get_weather\)/);
  const noTool = await runHearth(["functioncall", toolsModel, "-p", "hi"], { env });
  assert.equal(noTool.code, 2);
  assert.match(noTool.stderr, /required option '--tool <file>' not specified/);
});
