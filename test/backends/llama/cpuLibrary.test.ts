// hearth build's CPU library, the parts that need no compiler: where it lives, when it is found
// (this release, this CPU), when "auto" takes it (only measured faster), the ldtilecfg fix and
// ggml's variant list. test/cli/build.cli.test.ts compiles and measures it for real.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  cpuLibraryLocation,
  cpuModel,
  findCpuLibrary,
  llamaRelease,
  measuredFaster,
  prebuiltBinsDir,
  writeCpuLibraryInfo,
  type CpuLibraryInfo,
} from "../../../src/backends/llama/cpuLibrary.ts";
import { applyTileConfigFix, listedVariants } from "../../../src/backends/llama/cpuLibraryBuild.ts";

const info = (over: Partial<CpuLibraryInfo> = {}): CpuLibraryInfo => ({
  release: llamaRelease(),
  variant: "haswell",
  cpu: cpuModel(),
  builtAt: "2026-12-03T00:00:00Z",
  buildSeconds: 30,
  ...over,
});

function homeWith(i: CpuLibraryInfo | undefined, library = true): string {
  const home = mkdtempSync(path.join(os.tmpdir(), "hearth-cpulib-"));
  if (!i) return home;
  const loc = cpuLibraryLocation(home, i.variant, i.release);
  mkdirSync(loc.dir, { recursive: true });
  if (library) writeFileSync(loc.library, "not really a library");
  writeCpuLibraryInfo(loc, i);
  return home;
}

test("the library lives under HEARTH_HOME, named by llama.cpp release and CPU variant", () => {
  const loc = cpuLibraryLocation("/h", "zen4", "v0.4.0");
  assert.equal(loc.dir, "/h/engines/llama-cpu/v0.4.0-zen4-openmp");
  assert.equal(loc.library, "/h/engines/llama-cpu/v0.4.0-zen4-openmp/libggml-cpu-zen4.so");
  assert.match(llamaRelease(), /^v?\d|^b\d/, "node-llama-cpp's pinned llama.cpp release");
  if (process.platform === "linux" && process.arch === "x64") assert.ok(prebuiltBinsDir(), "node-llama-cpp's prebuilt binaries are found");
});

test("found only when built for this release and this CPU, with the reason otherwise", {
  skip: process.platform !== "linux" || process.arch !== "x64",
}, () => {
  const none = findCpuLibrary(homeWith(undefined));
  assert.ok("reason" in none && /hearth build makes one/.test(none.reason));
  const found = findCpuLibrary(homeWith(info()));
  assert.ok("loc" in found && found.info.variant === "haswell");
  const otherCpu = findCpuLibrary(homeWith(info({ cpu: "Some Other CPU 9000" })));
  assert.ok("reason" in otherCpu && /built on another CPU \(Some Other CPU 9000\)/.test(otherCpu.reason));
  const otherRelease = findCpuLibrary(homeWith(info({ release: "v0.0.1" })));
  assert.ok("reason" in otherRelease && /no CPU library built for llama\.cpp/.test(otherRelease.reason));
  const noFile = findCpuLibrary(homeWith(info(), false));
  assert.ok("reason" in noFile, "a build.json without its library is not a library");
});

test("auto takes the library only where hearth build measured it faster", () => {
  const m = { model: "m", threads: 2, at: "" };
  assert.equal(measuredFaster(info()), false, "not measured");
  assert.equal(measuredFaster(info({ measured: { ...m, prebuiltDecode: 33, libraryDecode: 54 } })), true);
  assert.equal(measuredFaster(info({ measured: { ...m, prebuiltDecode: 33, libraryDecode: 33 } })), false, "a tie keeps the prebuilt");
  assert.equal(measuredFaster(info({ measured: { ...m, prebuiltDecode: 33, libraryDecode: 20 } })), false);
});

test("the ldtilecfg fix puts a compiler barrier before the intrinsic, once", () => {
  const src = "static void init(__tile1024i * tc) {\n    tc.rows[0] = 16;\n    _tile_loadconfig(&tc);\n}\n";
  const once = applyTileConfigFix(src);
  assert.equal(once.applied, true);
  assert.match(once.text, /__asm__ __volatile__\(""[^\n]*"memory"\);\n {4}_tile_loadconfig\(&tc\);/);
  const twice = applyTileConfigFix(once.text);
  assert.equal(twice.text, once.text, "applying it again changes nothing");
  assert.deepEqual(applyTileConfigFix("no tiles here"), { text: "no tiles here", applied: false });
});

test("ggml's CPU variants are read from its CMakeLists", () => {
  const cmake = [
    "if (GGML_CPU_ALL_VARIANTS)",
    "    ggml_add_cpu_backend_variant(x64)",
    "    ggml_add_cpu_backend_variant(haswell        SSE42 AVX F16C AVX2 BMI2 FMA)",
    "    ggml_add_cpu_backend_variant(sapphirerapids SSE42 AVX F16C AVX2 BMI2 FMA AVX512 AVX512_VBMI AVX512_VNNI AVX512_BF16 AMX_TILE AMX_INT8)",
    "endif()",
  ].join("\n");
  assert.deepEqual(listedVariants(cmake), ["x64", "haswell", "sapphirerapids"]);
});
