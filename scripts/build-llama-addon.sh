#!/usr/bin/env bash
# npm run build:llama: builds node-llama-cpp's native addon here, with OpenMP and this CPU's
# instruction sets, from the llama.cpp source node-llama-cpp ships (its git bundle), offline. The
# llama engine uses this build on the CPU wherever it exists and loads (HEARTH_LLAMA_BUILD=prebuilt
# or a load's extra.llamaBuild "prebuilt" opts out), and node-llama-cpp's prebuilt binaries otherwise
# (src/backends/llama/localBuild.ts says why, and holds the cmake options). Output: node-llama-cpp's
# own local-build folder, node_modules/node-llama-cpp/llama/localBuilds/ (git-ignored; `npm ci`
# removes it: run this again after). About 15-25 minutes on 2 cores. --force rebuilds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
nlc=node_modules/node-llama-cpp
[ -f "$nlc/llama/gitRelease.bundle" ] || { echo "node-llama-cpp's llama.cpp bundle is missing: run npm ci first" >&2; exit 1; }
command -v cmake >/dev/null && command -v make >/dev/null && command -v g++ >/dev/null || { echo "cmake, make and g++ are needed (apt-get install cmake build-essential)" >&2; exit 1; }

probe='import("./src/backends/llama/localBuild.ts").then(async (m) => { const r = await m.loadLocalBuild(1); if (!("llama" in r)) { console.log(r.reason); process.exit(1); } console.log(`local build loads: ${r.llama.buildType}, GGML_OPENMP=${r.llama.cmakeOptions.GGML_OPENMP}`); await r.llama.dispose(); })'
if [ "${1:-}" != "--force" ] && node --import tsx -e "$probe" 2>/dev/null; then exit 0; fi

# Node's headers from this machine: cmake-js would otherwise download them
if [ -z "${npm_config_nodedir:-}" ]; then
  nodedir=$(npm config get nodedir 2>/dev/null || true)
  [ -n "$nodedir" ] && [ -f "$nodedir/include/node/node_api.h" ] || nodedir=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  [ -f "$nodedir/include/node/node_api.h" ] || { echo "no Node headers under $nodedir/include/node: set npm_config_nodedir" >&2; exit 1; }
  export npm_config_nodedir="$nodedir"
fi
# the cmake options for this CPU, from localBuild.ts (the engine finds the build by them)
eval "$(node --import tsx -e 'import("./src/backends/llama/localBuild.ts").then((m) => { for (const [k, v] of Object.entries(m.localBuildCmakeOptions())) console.log(`export NODE_LLAMA_CPP_CMAKE_OPTION_${k}=${v}`); })')"
# clones the bundle (never GitHub: the bundle is for the pinned release) and compiles
npx --no-install node-llama-cpp source download --gpu false --noUsageExample
node --import tsx -e "$probe"
