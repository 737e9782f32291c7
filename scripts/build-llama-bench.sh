#!/usr/bin/env bash
# Builds llama.cpp's own llama-bench from the exact source node-llama-cpp ships (its git bundle),
# so that benchmarks compare hearth against the same llama.cpp revision. Output: .cache/llama.cpp/build/bin/llama-bench
# (git-ignored; never commit the build). About 8 minutes on 2 cores.
# AVX-512 without AMX (-march=native would turn AMX on where the CPU has it): ggml's AMX kernels segfault on this VM,
# and this is the instruction set of the CPU variant node-llama-cpp's prebuilt binaries run here.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/.cache/llama.cpp"
bundle="$root/node_modules/node-llama-cpp/llama/gitRelease.bundle"
if [ -x "$src/build/bin/llama-bench" ]; then echo "$src/build/bin/llama-bench"; exit 0; fi
[ -f "$bundle" ] || { echo "node-llama-cpp's llama.cpp bundle is missing: run npm ci first" >&2; exit 1; }
rm -rf "$src"; mkdir -p "$root/.cache"
git clone -q "$bundle" "$src"
cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_BMI2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON -DLLAMA_CURL=OFF -DBUILD_SHARED_LIBS=OFF >/dev/null
cmake --build "$src/build" --target llama-bench llama-simple -j "$(nproc)" >/dev/null
echo "$src/build/bin/llama-bench"
