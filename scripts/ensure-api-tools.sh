#!/usr/bin/env bash
# Makes sure the API document's tests can run: a virtualenv under target/ with a standard
# OpenAPI validator and a mainstream client generator, both from PyPI. Tests run in parallel
# and may each call this script: one installs, the others wait.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/api-tools-venv
mkdir -p target
exec 9>target/.api-tools.lock
flock 9
if [[ ! -x "$venv/bin/openapi-python-client" || ! -x "$venv/bin/openapi-spec-validator" ]]; then
    echo "api tools: installing openapi-spec-validator and openapi-python-client into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "openapi-spec-validator==0.7.*" "openapi-python-client==0.26.*"
fi
echo "api tools: $("$venv/bin/openapi-python-client" --version 2>/dev/null || echo ready)"
