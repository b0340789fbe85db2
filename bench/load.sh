#!/usr/bin/env bash
# Measures twofold under load on PostgreSQL on this machine: discovery and
# JWKS, password sign-ins (one user at a time, then 16), sign-ins with the
# SMS step, and refresh grants; then resident memory idle and after the
# sign-in runs. Every run is bounded in time and talks only to 127.0.0.1.
#
#   bash bench/load.sh            # PostgreSQL at 127.0.0.1:5432, database test
#   PGURL=postgres://... bash bench/load.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PGURL="${PGURL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-15}"
work=$(mktemp -d)
schema="twofold_load_$$"
port="${PORT:-18300}"
issuer="http://127.0.0.1:$port"

cleanup() {
	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	psql "$PGURL" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
	[ -n "${KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/twofold" ./cmd/twofold
go build -o "$work/twofold-load" ./cmd/twofold-load
psql "$PGURL" -qc "CREATE SCHEMA $schema" >/dev/null
db="$PGURL&search_path=$schema"

# Limits are raised so the measurement sees twofold, not its abuse
# protection; the per-user 30-second interval stays, so SMS runs rotate
# through many users.
cat >"$work/config.yaml" <<YAML
sms:
  limits:
    per_number: {per_hour: 100000, per_day: 1000000}
    per_user: {per_hour: 100000, per_day: 1000000}
    per_client_ip: {per_hour: 1000000, per_day: 10000000}
    per_office: {per_hour: 1000000, per_day: 10000000}
    installation: {per_hour: 1000000, per_day: 10000000}
YAML

export TWOFOLD_DATABASE_URL="$db" TWOFOLD_ISSUER="$issuer" TWOFOLD_LISTEN="127.0.0.1:$port"
export TWOFOLD_METRICS_LISTEN="127.0.0.1:$((port + 1))"
export TWOFOLD_SMS_SENDER=file TWOFOLD_SMS_FILE="$work/sms.jsonl" TWOFOLD_LOG_FORMAT=json
export TWOFOLD_COOKIE_KEYS="$(head -c 64 /dev/urandom | base64 -w0)"
export TWOFOLD_KEY_ENCRYPTION_KEY="$(head -c 32 /dev/urandom | base64 -w0)"

"$work/twofold" serve --config "$work/config.yaml" 2>"$work/serve.log" &
pid=$!
for _ in $(seq 100); do curl -fsS "$issuer/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

rss() { awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' "/proc/$pid/status"; }
load() { "$work/twofold-load" -issuer "$issuer" -database-url "$db" -duration "${SECONDS_PER_RUN}s" "$@"; }

echo "argon2id reference: $(go test -run '^$' -bench Verify -benchtime 40x ./password | awk '/^BenchmarkVerify/ {printf "%.1f ms per verification", $3/1e6}')"
sleep 2
echo "resident memory idle: $(rss)"
load -scenario discovery -workers 16
load -scenario signin -workers 1
load -scenario signin -workers 16
load -scenario signin -workers 16 -two-factor -sms-file "$work/sms.jsonl" -users 2000
echo "resident memory after the sign-in runs: $(rss)"
if [ -n "${PROFILE:-}" ]; then
	curl -fsS -o "$PROFILE" "http://127.0.0.1:$((port + 1))/debug/pprof/profile?seconds=$((SECONDS_PER_RUN - 2))" &
	prof=$!
fi
load -scenario refresh -workers 16
[ -n "${prof:-}" ] && wait "$prof" && echo "CPU profile of the refresh run: $PROFILE"
echo "server errors logged: $(grep -c '"level":"ERROR"' "$work/serve.log" || true)"
