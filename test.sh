#!/usr/bin/env bash
# Runs Coffer's whole test suite on real SQLite and a real PostgreSQL.
# With TEST_DATABASE_URL unset it installs PostgreSQL from Debian's packages
# if needed, starts a throw-away server on a free loopback port, and removes
# it afterwards. Extra arguments go to `go test` (e.g. ./test.sh -run Charge).
set -euo pipefail
cd "$(dirname "$0")"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

find_pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

start_postgres() {
  local bin dir port run
  bin=$(find_pg_bin)
  if [ -z "$bin" ]; then
    echo "test.sh: installing PostgreSQL from Debian's packages" >&2
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
    bin=$(find_pg_bin)
  fi
  dir=$(mktemp -d /tmp/coffer-pg.XXXXXX)
  port=55432
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  run=()
  # PostgreSQL refuses to run as root; run it as the postgres user then.
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$dir"
    run=(runuser -u postgres --)
  fi
  "${run[@]}" "$bin/initdb" -D "$dir/data" -U coffer --auth=trust -E UTF8 --no-instructions >"$dir/initdb.log"
  # fsync off: a test server's data need not survive a power cut.
  local fsync="${COFFER_PG_FSYNC:-off}"
  "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
    "-h 127.0.0.1 -p $port -k $dir -c fsync=$fsync -c synchronous_commit=$fsync -c full_page_writes=$fsync -c max_connections=300" start >/dev/null
  PG_STOP=("${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop)
  PG_DIR=$dir
  trap 'stop_postgres' EXIT
  "$bin/psql" -q -h 127.0.0.1 -p "$port" -U coffer -d postgres -c "CREATE DATABASE coffer_test"
  export TEST_DATABASE_URL="postgres://coffer@127.0.0.1:$port/coffer_test?sslmode=disable"
  echo "test.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (fsync=$fsync)" >&2
}

stop_postgres() {
  "${PG_STOP[@]}" >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}

if [ "${1:-}" = "--postgres-shell" ]; then
  # Start the throw-away server and open a shell with TEST_DATABASE_URL set.
  start_postgres
  "${SHELL:-bash}"
  exit
fi

# The API guide's curl examples run as a test and need curl and jq; the web
# UI's tests drive Debian's Chromium.
tools=()
command -v curl >/dev/null || tools+=(curl)
command -v jq >/dev/null || tools+=(jq)
command -v chromium >/dev/null || tools+=(chromium)
# Webhook deliveries are verified with the Standard Webhooks library for
# JavaScript too, and the OpenAPI document is linted, under node, with
# packages from the npm registry.
command -v node >/dev/null || tools+=(nodejs)
command -v npm >/dev/null || tools+=(npm)
fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk" || tools+=(fonts-wqy-microhei)
# Mail goes to a real SMTP server on loopback (Debian's aiosmtpd); statement
# PDFs are read back with pdftotext.
[ -x /usr/bin/aiosmtpd ] || tools+=(python3-aiosmtpd)
command -v pdftotext >/dev/null || tools+=(poppler-utils)
if [ ${#tools[@]} -gt 0 ]; then
  echo "test.sh: installing ${tools[*]} from Debian's packages" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${tools[@]}" >/dev/null
fi

if [ ! -d internal/webhook/testdata/node/node_modules/standardwebhooks ]; then
  (cd internal/webhook/testdata/node && npm ci --no-audit --no-fund --silent)
fi
# The served OpenAPI document is linted with Redocly's CLI, from the registry.
if [ ! -d internal/api/testdata/redocly/node_modules/@redocly/cli ]; then
  (cd internal/api/testdata/redocly && npm ci --no-audit --no-fund --silent)
fi

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  start_postgres
fi
export COFFER_REQUIRE_POSTGRES=1 COFFER_REQUIRE_TOOLS=1 COFFER_REQUIRE_BROWSER=1 COFFER_REQUIRE_NODE=1

go vet ./...
go test -count=1 -timeout 20m "$@" ./...
