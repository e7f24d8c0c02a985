#!/usr/bin/env bash
# Fuzz the REST API with schemathesis: a fresh site with the builtin apps and the demo company,
# served on loopback, as an admin and two employees of different teams (one bearer token each).
# First the crafted requests of scripts/fuzz_cases.py (each must be a 4xx problem); then the
# examples, coverage and fuzzing phases against the OpenAPI document. Bounded in time.
# A fixed seed (LOOM_FUZZ_SEED, default 20261203) makes a run repeatable, so CI does not turn red
# on a case nobody has seen; run it with other seeds to explore further.
# One worker: hypothesis parses sources with ast, which is not safe across threads on CPython 3.11.
# No stateful phase: the API declares no links between operations, so it has nothing to chain,
# and its reporter crashes now and then when the phase ends empty.
# Checks left out, and why (docs/api.md §11 says more):
#   use_after_free, ensure_resource_availability: need the stateful phase.
#   object_level_authorization: compares identities by hand-picked peers; not configured here.
#   missing_required_header: the API has no required header.
#   usage: scripts/fuzz_api.sh [SECONDS]   (needs `loom` and `schemathesis` on PATH)
# SECONDS bounds the whole run, setup included (default 300); schemathesis gets what is left.
set -euo pipefail
budget="${1:-300}"
here="$(cd "$(dirname "$0")" && pwd)"
site="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cd "$site"
loom migrate --apply >/dev/null
loom demo --lang en >/dev/null 2>&1
loom user create fuzz --password "$(python3 -c 'import secrets; print(secrets.token_urlsafe())')" --role admin >/dev/null
# Employees of two teams (销售一组, 销售二组) and the admin: schemathesis starts with the first and
# moves on to the next where an operation refuses it.
cat >"$site/auth.json" <<EOF
{"auth": [
  {"name": "chenjing", "fixedHeaders": [{"name": "Authorization", "value": "Bearer $(loom token create chenjing 2>/dev/null)"}]},
  {"name": "wuting", "fixedHeaders": [{"name": "Authorization", "value": "Bearer $(loom token create wuting 2>/dev/null)"}]},
  {"name": "admin", "fixedHeaders": [{"name": "Authorization", "value": "Bearer $(loom token create fuzz 2>/dev/null)"}]}
]}
EOF
loom serve --host 127.0.0.1 --port "$port" >"$site/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$site"' EXIT
base="http://127.0.0.1:$port/api/v1"
python3 "$here/fuzz_cases.py" "$base" "$(loom token create chenjing 2>/dev/null)"
seconds=$((budget - SECONDS - 20))
if [ "$seconds" -lt 30 ]; then seconds=30; fi
status=0
schemathesis --config-file "$here/schemathesis.toml" run "$base/openapi.json" \
  --wait-for-schema 30 \
  --auth-wfc "$site/auth.json" \
  --checks not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance,response_headers_conformance,unsupported_method,allow_header_conformance,ignored_auth,negative_data_rejection,positive_data_acceptance \
  --exclude-path /auth/login \
  --phases examples,coverage,fuzzing \
  --seed "${LOOM_FUZZ_SEED:-20261203}" \
  --max-time "$seconds" --workers 1 --no-color || status=$?
# Schemathesis' findings fail the run with LOOM_FUZZ_STRICT=1 (as .ci/run sets it); without it,
# when exploring with other seeds, they are reported and worked off from this report
# (docs/api.md, "The fuzz run"). A server traceback always fails the run.
if [ "$status" -ne 0 ] && [ "${LOOM_FUZZ_STRICT:-0}" != "1" ]; then
  echo "schemathesis reported findings (see above); set LOOM_FUZZ_STRICT=1 to fail on them" >&2
  status=0
fi
if grep -q "Traceback" "$site/serve.log"; then
  echo "the server logged a traceback:" >&2
  grep -A 60 "Traceback" "$site/serve.log" | head -n 120 >&2
  status=1
fi
exit "$status"
