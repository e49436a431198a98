#!/usr/bin/env bash
# Makes sure the browser test can run: Debian's Chromium, Node.js, and the test's npm packages
# (playwright-core only drives the installed Chromium; it never downloads a browser).
set -euo pipefail
cd "$(dirname "$0")/.."

# Browser tests run in parallel and each calls this script: one installs, the others wait.
exec 9>"${TMPDIR:-/tmp}/exam-booking-ensure-browser.lock"
flock 9

sudo_if_needed() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v chromium >/dev/null || [[ -x /usr/bin/chromium ]] || missing+=(chromium)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
    echo "browser: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    sudo_if_needed apt-get update -qq
    sudo_if_needed apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [[ ! -d tests/e2e/node_modules/playwright-core ]]; then
    echo "browser: installing the test's npm packages"
    (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "browser: $(chromium --version 2>/dev/null || /usr/bin/chromium --version), node $(node --version)"
