#!/usr/bin/env bash
# Fuzz the REST API with schemathesis: a fresh site with the builtin apps, served on loopback,
# checked for 5xx responses and responses that break the OpenAPI document. Bounded in time.
# One worker: hypothesis parses sources with ast, which is not safe across threads on CPython 3.11.
# No stateful phase: the API declares no links between operations, so it has nothing to chain,
# and its reporter crashes now and then when the phase ends empty.
#   usage: scripts/fuzz_api.sh [SECONDS]   (needs `loom` and `schemathesis` on PATH)
set -euo pipefail
seconds="${1:-60}"
site="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cd "$site"
loom migrate --apply >/dev/null
loom user create fuzz --password "$(python3 -c 'import secrets; print(secrets.token_urlsafe())')" --role admin >/dev/null
token="$(loom token create fuzz 2>/dev/null)"
loom serve --host 127.0.0.1 --port "$port" >"$site/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
schemathesis run "http://127.0.0.1:$port/api/v1/openapi.json" \
  --wait-for-schema 30 \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance \
  --exclude-path /auth/login \
  --phases examples,coverage,fuzzing \
  --max-time "$seconds" --workers 1 --no-color
