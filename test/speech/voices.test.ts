// Voice names: from the model's metadata, from a Piper voice's JSON config, or numbers; lookups by
// name (any case) or number; unknown voices refused with the list.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { piperSpeakerNames, speakerId, voiceNames } from "../../src/backends/sherpa/voices.ts";
import type { HearthError } from "../../src/errors/HearthError.ts";

test("names from metadata, else from the Piper sidecar, else numbers", () => {
  assert.deepEqual(voiceNames({ speaker_names: "af_heart, am_adam" }, 2), ["af_heart", "am_adam"]);
  assert.deepEqual(voiceNames({}, 3, ["p1", "p2", "p3"]), ["p1", "p2", "p3"]);
  // a list of the wrong length is not trusted
  assert.deepEqual(voiceNames({ speaker_names: "a,b" }, 3), ["0", "1", "2"]);
  // single-speaker models (n_speakers 0 or 1) have one voice
  assert.deepEqual(voiceNames({}, 0), ["0"]);
});

test("Piper's speaker_id_map is read in id order; a gap or bad JSON gives no names", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "hearth-voices-"));
  try {
    const model = path.join(dir, "en_US-libritts_r-medium.onnx");
    assert.equal(piperSpeakerNames(model), undefined);
    writeFileSync(`${model}.json`, JSON.stringify({ speaker_id_map: { p3922: 1, p1040: 0, p8699: 2 } }));
    assert.deepEqual(piperSpeakerNames(model), ["p1040", "p3922", "p8699"]);
    writeFileSync(`${model}.json`, JSON.stringify({ speaker_id_map: { a: 0, c: 2 } }));
    assert.equal(piperSpeakerNames(model), undefined);
    writeFileSync(`${model}.json`, "{not json");
    assert.equal(piperSpeakerNames(model), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("speakerId: default first, any case, by number; unknown refused with the list (long lists shortened)", () => {
  const v = ["Alba", "bruno"];
  assert.equal(speakerId(undefined, v), 0);
  assert.equal(speakerId("BRUNO", v), 1);
  assert.equal(speakerId("1", v), 1);
  assert.throws(
    () => speakerId("2", v),
    (e: HearthError) => e.code === "bad_input" && /Alba, bruno/.test(e.line),
  );
  const many = Array.from({ length: 40 }, (_, i) => `v${i}`);
  assert.throws(
    () => speakerId("zed", many),
    (e: HearthError) => /v11, \.\.\. \(40 in all\)/.test(e.line),
  );
});
