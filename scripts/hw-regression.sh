#!/usr/bin/env bash
# The hardware regression gate on this machine: measures the fixtures (or the models given) on each
# device here (the CPU, and each GPU kind `hearth devices` finds) with `hearth bench`, and compares
# every cell's medians and peak memory with the baseline stored for that device's key in
# bench/baselines/ (docs/benchmarks.md, "Regression gate"). The first run on a device saves its
# baseline; commit it. Exit 3 when a cell got worse than allowed, 0 when none did.
#
#   scripts/hw-regression.sh [--update] [--max-regression PCT] [--reps N] [model ...]
#
# --update saves this run as the device's baseline instead of comparing. Models default to the
# bench fixture (349M parameters, Q8_0) and the tiny one. Not run in CI on shared machines: their
# noise is larger than the regressions worth catching. HW_REGRESSION_DIR moves the baselines.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
dir=${HW_REGRESSION_DIR:-$root/bench/baselines}
update=0 pct=10 reps=5 models=()
while [ $# -gt 0 ]; do
  case "$1" in
    --update) update=1 ;;
    --max-regression) pct=$2; shift ;;
    --reps) reps=$2; shift ;;
    -h|--help) sed -n 2,12p "$0"; exit 0 ;;
    -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    *) models+=("$1") ;;
  esac
  shift
done
hearth() { node "$root/bin/hearth.js" "$@"; }
if [ ${#models[@]} -eq 0 ]; then
  for preset in bench tiny; do models+=("$(node --import tsx fixtures/cli.ts --preset "$preset" | cut -d' ' -f1)"); done
fi
mkdir -p "$dir"
# one device per run, so each baseline file holds one device key's cells
devices=$(hearth devices --json | node -e '
  const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
  console.log(`cpu\t${d.cpu.deviceKey}`);
  if (d.gpus.length) console.log(`gpu\t${d.gpus[0].deviceKey}`);')
status=0
while IFS=$'\t' read -r device key; do
  file="$dir/$(printf '%s' "$key" | tr -c 'A-Za-z0-9._-' '_').json"
  args=(bench "${models[@]}" --device "$device" --reps "$reps")
  if [ "$update" = 1 ] || [ ! -f "$file" ]; then
    echo "== $key: measuring a new baseline -> ${file#$root/}"
    tmp=$(mktemp)
    if hearth "${args[@]}" --json >"$tmp"; then mv "$tmp" "$file"; echo "saved; commit it"; else rm -f "$tmp"; status=1; fi
    continue
  fi
  echo "== $key: against ${file#$root/} (at most $pct% worse)"
  rc=0
  hearth "${args[@]}" --baseline "$file" --max-regression "$pct" || rc=$?
  [ "$rc" -gt "$status" ] && status=$rc
done <<<"$devices"
exit "$status"
