#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real: tmux (the interactive CLI through a
# pseudo-terminal), chromium (opening benchmark reports), espeak-ng and sox (making and measuring speech),
# nginx (a load balancer in front of two `hearth serve` replicas).
# Runs before the tests; does nothing when they are present; needs root and apt-get otherwise.
set -euo pipefail
declare -A bin_for=([tmux]=tmux [chromium]=chromium [espeak-ng]=espeak-ng [sox]=sox [nginx]=nginx)
# nginx lives in /usr/sbin, which a user's PATH may lack
export PATH="$PATH:/usr/sbin"
missing=()
for pkg in "${!bin_for[@]}"; do
  command -v "${bin_for[$pkg]}" >/dev/null 2>&1 || missing+=("$pkg")
done
# fonts the OCR tests render text with
fc-list : family 2>/dev/null | grep "Liberation Sans" >/dev/null || missing+=(fonts-liberation fontconfig)
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "missing system packages: ${missing[*]} (install them with your package manager; the tests that need them will fail)" >&2
  exit 0
fi
echo "installing system packages for the tests: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
