#!/usr/bin/env bash
# Production smoke test: run cityhall as docs/operations.md says (DEBUG=0, collected static
# files, PostgreSQL, gunicorn and a worker) on a database of its own, then let scripts/smoke.py
# request every page as an anonymous visitor and as each demo role. Fails on any 5xx, any
# answer slower than 2 s, or a route with arguments that has no sample.
#
# Usage: scripts/smoke.sh           (after `make install`; PostgreSQL must be running)
#   SMOKE_PG    the PostgreSQL server (default postgres://postgres@127.0.0.1:5432)
#   SMOKE_DB    the database, dropped and created afresh on every run (default cityhall_smoke)
#   SMOKE_DIR   static files, uploads and the servers' logs (default var/smoke, emptied first)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/.venv/bin"
PG="${SMOKE_PG:-postgres://postgres@127.0.0.1:5432}"
DB="${SMOKE_DB:-cityhall_smoke}"
DIR="${SMOKE_DIR:-$PWD/var/smoke}"
HOST=cityhall.example.gov.vn

# Production settings, none relaxed for the test (the client goes through the "proxy").
export DEBUG=0
SECRET_KEY="smoke-$(head -c 48 /dev/urandom | base64 | tr -d '/+=')"
export SECRET_KEY
export ALLOWED_HOSTS="$HOST" CSRF_TRUSTED_ORIGINS="https://$HOST" CITYHALL_SITE_URL="https://$HOST"
export DATABASE_URL="$PG/$DB" CITYHALL_VAR_DIR="$DIR"
export CITYHALL_OPEN311_ASYNC_INTAKE=1 # recommended in production; files through the worker

rm -rf "$DIR"
mkdir -p "$DIR"
started=$SECONDS

echo "-- static files (hashed, with their manifest)"
"$BIN/cityhall" compile_catalogues >/dev/null
"$BIN/cityhall" collectstatic --no-input -v 0

echo "-- database $DB, afresh: migrate and load the registry, workflows, categories and demo"
psql "$PG/postgres" -q -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
"$BIN/cityhall" migrate --no-input -v 0
for step in load_units load_workflows load_categories load_procedures load_demo load_demo_reports \
    load_demo_dossiers load_demo_plans load_demo_documents load_indicators load_demo_reported; do
  "$BIN/cityhall" "$step" >/dev/null
done
OPEN311_KEY="$("$BIN/cityhall" create_api_key smoke-test --scopes open311:write | tail -n 1)"

PORT="$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')" # a free port (the kernel's pick)
echo "-- gunicorn on 127.0.0.1:$PORT and cityhall worker (logs in $DIR)"
pids=()
stop() {
  status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$status" -ne 0 ]; then
    for log in "$DIR/gunicorn.log" "$DIR/worker.log"; do
      [ -f "$log" ] && { echo "-- last lines of $log"; tail -n 40 "$log"; }
    done
  fi
  exit "$status"
}
trap stop EXIT
trap 'exit 130' INT TERM
"$BIN/gunicorn" cityhall.wsgi --workers 2 --threads 4 -b "127.0.0.1:$PORT" >"$DIR/gunicorn.log" 2>&1 &
pids+=($!)
"$BIN/cityhall" worker >"$DIR/worker.log" 2>&1 &
pids+=($!)

echo "-- the pages, through the TLS proxy's headers (setup took $((SECONDS - started)) s)"
# In the background, so that a signal stops everything at once rather than after the client.
"$BIN/python" scripts/smoke.py --base "http://127.0.0.1:$PORT" --host "$HOST" \
  --open311-key "$OPEN311_KEY" &
pids+=($!)
wait "$!"
echo "-- smoke test took $((SECONDS - started)) s"
