#!/usr/bin/env bash
# Builds llama.cpp's own tools from the exact source node-llama-cpp ships (its git bundle), for a fair
# reference: llama-bench and llama-batched-bench (speed), llama-quantize (real quantizations of the
# test fixtures, fixtures/quants.ts) and llama-simple (greedy output compared in tests). Output:
# .cache/llama.cpp/build/bin/ (git-ignored; never commit the build). About 8-10 minutes on 2 cores.
#
# Same kernels as hearth: node-llama-cpp's prebuilt loads one of ggml's CPU variants for this CPU
# (libggml-cpu-<variant>.so: "sapphirerapids" with AMX on a Xeon that has it, "zen4", "haswell",
# ...). This script asks it which (src/bench/llamaKernels.ts) and builds with exactly that variant's
# instruction sets, read from the bundled ggml/src/CMakeLists.txt, so both sides run the same matrix
# kernels (bench:llm prints the weight buffer types each side used and gives no ratio where they
# differ). llama.cpp's default OpenMP threading is kept: the reference is llama.cpp at its best.
# One fix is applied to the source before building: GCC up to 12 declares the ldtilecfg intrinsic
# (_tile_loadconfig) as reading 8 bytes of the 64-byte tile configuration, so GCC 12 drops the
# stores of the tile rows and columns in ggml's ggml_tile_config_init and the first tileloadd traps
# as an invalid opcode (tiles unconfigured). node-llama-cpp's prebuilt, compiled by GCC 11, happens
# to keep the stores. A compiler barrier before the intrinsic keeps them; the kernels are unchanged.
# --native builds for this CPU's every instruction set instead (-march=native). A build for another
# variant is replaced; one for the same variant is kept.
#
# A second llama-bench, .cache/llama.cpp/build-prebuilt/llama-bench (about 20 s), is compiled from the
# same source but linked against node-llama-cpp's prebuilt libraries themselves (Linux): the very
# binaries hearth runs. The same variant compiled by another compiler can differ (GCC 12 vectorizes
# loops the prebuilt's compiler left scalar), so bench:llm gives a ratio against each.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/.cache/llama.cpp"
bundle="$root/node_modules/node-llama-cpp/llama/gitRelease.bundle"
[ -f "$bundle" ] || { echo "node-llama-cpp's llama.cpp bundle is missing: run npm ci first" >&2; exit 1; }
command -v cmake >/dev/null && command -v g++ >/dev/null || { echo "cmake and g++ are needed (apt-get install cmake build-essential)" >&2; exit 1; }
targets=(llama-bench llama-batched-bench llama-quantize llama-simple)

variant=native
if [ "${1:-}" != "--native" ]; then
  variant=$(cd "$root" && node --import tsx -e '
    import("./src/bench/llamaKernels.ts").then(async (m) => {
      const { ensureFixture } = await import("./fixtures/index.ts");
      console.log((await m.prebuiltKernels(await ensureFixture("tiny"))).variant ?? "native");
    })' 2>/dev/null || echo native)
fi
stamp="$src/build/hearth-variant"
built() { for t in "${targets[@]}"; do [ -x "$src/build/bin/$t" ] || return 1; done; }
# llama-bench on node-llama-cpp's prebuilt libraries, beside symlinks to them (ggml loads its CPU
# variants from the executable's folder); skipped, saying why, where there are none
prebuilt_bench() {
  local plat lib out
  plat=$(node -p 'process.platform + "-" + process.arch')
  lib="$root/node_modules/@node-llama-cpp/$plat/bins/$plat"
  out="$src/build-prebuilt"
  [ -x "$out/llama-bench" ] && [ "$(cat "$out/hearth-source" 2>/dev/null)" = "$(md5sum <"$bundle")" ] && return 0
  if [ "$(uname -s)" != Linux ] || ! ls "$lib"/libllama*.so >/dev/null 2>&1; then
    echo "no prebuilt llama.cpp libraries for $plat: no llama-bench on them" >&2; return 0
  fi
  rm -rf "$out" && mkdir -p "$out"
  ln -s "$lib"/*.so "$out/"
  local libs=()
  for l in libllama-common.so "$(basename "$(ls "$lib"/libllama.*so | head -1)")" "$(basename "$(ls "$lib"/libggml.*so | head -1)")" libggml-base.so; do libs+=("-l:$l"); done
  if g++ -O2 -std=c++17 -w -I"$src/include" -I"$src/ggml/include" -I"$src/common" -I"$src/build/common" -I"$src/vendor" \
    "$src/tools/llama-bench/llama-bench.cpp" "$src/tools/llama-bench/main.cpp" -o "$out/llama-bench" \
    -L"$out" "${libs[@]}" -Wl,-rpath,"$out" -pthread; then
    md5sum <"$bundle" >"$out/hearth-source"
    echo "built $out/llama-bench on the prebuilt libraries" >&2
  else
    echo "warning: llama-bench did not link against the prebuilt libraries; bench:llm compares with the static build only" >&2
  fi
}
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$variant" ] && built; then
  prebuilt_bench
  echo "$src/build/bin/llama-bench"; exit 0
fi

start=$(date +%s)
if [ ! -f "$src/CMakeLists.txt" ]; then rm -rf "$src"; mkdir -p "$root/.cache"; git clone -q "$bundle" "$src"; fi
mmq="$src/ggml/src/ggml-cpu/amx/mmq.cpp"
if [ -f "$mmq" ] && ! grep -q "hearth: GCC" "$mmq"; then
  sed -i 's|^    _tile_loadconfig(&tc);|    // hearth: GCC <= 12 declares ldtilecfg as reading 8 bytes, so it may drop the stores above\n    __asm__ __volatile__("" : : "r"(\&tc) : "memory");\n    _tile_loadconfig(\&tc);|' "$mmq"
  # without the fix only AMX variants are at risk; say so and build anyway
  grep -q "hearth: GCC" "$mmq" || echo "warning: could not apply the ldtilecfg fix to $mmq (AMX kernels may trap)" >&2
fi
flags=(-DGGML_NATIVE=ON)
if [ "$variant" != native ]; then
  # the variant's line in ggml's own list, e.g. ggml_add_cpu_backend_variant(sapphirerapids SSE42 AVX ... AMX_INT8)
  feats=$(sed -n "s/^ *ggml_add_cpu_backend_variant($variant \(.*\))/\1/p" "$src/ggml/src/CMakeLists.txt" | head -1)
  if [ -n "$feats" ]; then
    flags=(-DGGML_NATIVE=OFF)
    for f in $feats; do flags+=("-DGGML_$f=ON"); done
  else
    echo "ggml lists no CPU variant \"$variant\": building for this CPU (-march=native); bench:llm says when kernels differ" >&2
    variant=native
  fi
fi
echo "building llama.cpp's tools for the $variant variant: ${flags[*]}" >&2
rm -rf "$src/build"
cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=Release "${flags[@]}" -DLLAMA_CURL=OFF -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TESTS=OFF >/dev/null
cmake --build "$src/build" --target "${targets[@]}" -j "$(nproc)" >/dev/null
echo "$variant" >"$stamp"
echo "built in $(( $(date +%s) - start )) s" >&2
prebuilt_bench
echo "$src/build/bin/llama-bench"
