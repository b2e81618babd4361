#!/usr/bin/env bash
# Coffer's charges per second as a share of what its PostgreSQL can do at
# all, measured in one run on this machine:
#
#   bench/ratio.sh [--rounds 3] [--duration 20] [--mix]
#
# Each round measures, one after another:
#   ceiling    pgbench running the least one charge needs (ceiling.sql: UPDATE
#              a balance with a floor check, INSERT an entry, one transaction)
#   postgres   `coffer bench --mix charge=100` against `coffer serve` on the
#              same PostgreSQL
#   sqlite     the same against `coffer serve` on SQLite
# and with --mix also the default mix (charges, top-ups with review, lists) on
# both. 32 clients, 10,000 accounts. It prints each measurement and, at the
# end, the medians and their ratios to the ceiling of the same round.
#
# Needs Go, python3 (for the medians), PostgreSQL 15 (/usr/lib/postgresql/15/bin, Debian's postgresql
# package) and pgbench; run as root it starts PostgreSQL as the postgres user.
# The throw-away database runs with fsync on, on 127.0.0.1, in a temporary
# folder. COFFER_BIN=path measures a binary already built.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rounds=3 duration=20 mix=0
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --mix) mix=1; shift ;;
    *) echo "usage: bench/ratio.sh [--rounds N] [--duration SECONDS] [--mix]" >&2; exit 2 ;;
  esac
done
pgbin=${PG_BIN:-/usr/lib/postgresql/15/bin}
work=$(mktemp -d /tmp/coffer-ratio.XXXXXX)
chmod 755 "$work"
pgport=$((20000 + RANDOM % 20000)) port=$((40000 + RANDOM % 20000))
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi; }
cleanup() {
  [ -f "$work/server.pid" ] && kill "$(cat "$work/server.pid")" 2>/dev/null || true
  as_pg "$pgbin/pg_ctl -D $work/pg -m immediate stop" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

bin=${COFFER_BIN:-}
if [ -z "$bin" ]; then
  bin=$work/coffer
  (cd "$here/.." && go build -o "$bin" ./cmd/coffer)
fi
mkdir "$work/pg" && [ "$(id -u)" -eq 0 ] && chown postgres "$work/pg"
as_pg "$pgbin/initdb -D $work/pg -U coffer --auth=trust -E UTF8 --no-instructions" >/dev/null
as_pg "$pgbin/pg_ctl -D $work/pg -l $work/pg/log -w -o \"-h 127.0.0.1 -p $pgport -k $work/pg -c fsync=on -c synchronous_commit=on \
  -c full_page_writes=on -c max_connections=300 -c shared_buffers=1GB -c max_wal_size=1GB\" start" >/dev/null
psql() { "$pgbin/psql" -X -q -h 127.0.0.1 -p $pgport -U coffer "$@"; }
export COFFER_ADMIN_USER=root COFFER_ADMIN_PASSWORD='ratio bench password' \
  COFFER_BENCH_USER=root COFFER_BENCH_PASSWORD='ratio bench password'

serve() { # serve DB: start coffer serve on DB and wait until it is ready
  "$bin" serve --addr 127.0.0.1:$port --db "$1" >>"$work/server.log" 2>&1 &
  echo $! >"$work/server.pid"
  for _ in $(seq 300); do curl -sf http://127.0.0.1:$port/readyz >/dev/null && return; sleep 0.1; done
  echo "coffer serve did not start; see $work/server.log" >&2; exit 1
}
stop() { kill "$(cat "$work/server.pid")"; wait "$(cat "$work/server.pid")" 2>/dev/null || true; rm -f "$work/server.pid"; }
bench() { "$bin" bench --url http://127.0.0.1:$port --clients 32 --accounts 10000 "$@"; }

# One database of each kind, set up once: 10,000 funded accounts.
psql -d postgres -c "CREATE DATABASE ceiling" -c "CREATE DATABASE coffer"
PGOPTIONS='-c client_min_messages=warning' psql -d ceiling -v ON_ERROR_STOP=1 -f "$here/ceiling-schema.sql" >/dev/null
pgdsn="postgres://coffer@127.0.0.1:$pgport/coffer?sslmode=disable" sqlite=$work/coffer.db
for db in "$pgdsn" "$sqlite"; do serve "$db"; bench --setup-only >/dev/null; stop; done

results=$work/results
: >"$results"
measure() { # measure ROUND NAME DB MIX: one coffer bench run; records "round name requests/s p99"
  serve "$3"
  local out line
  out=$(bench --duration "${duration}s" --mix "$4")
  stop
  line=$(grep -E '^all ' <<<"$out") # with charges only, all requests are charges
  read -r _ _ rate _ _ p99 _ errors <<<"$line"
  echo "$1 $2 $rate $p99" >>"$results"
  printf '  %-16s %8s requests/s  p99 %6s ms  errors %s\n' "$2" "$rate" "$p99" "$errors"
}
for r in $(seq "$rounds"); do
  echo "round $r"
  out=$("$pgbin/pgbench" -n -h 127.0.0.1 -p $pgport -U coffer -c 32 -j 2 -T "$duration" -M prepared -f "$here/ceiling.sql" ceiling 2>&1)
  tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' <<<"$out")
  p99=-
  echo "$r ceiling ${tps%.*} $p99" >>"$results"
  printf '  %-16s %8s requests/s\n' ceiling "${tps%.*}"
  measure "$r" postgres "$pgdsn" charge=100
  measure "$r" sqlite "$sqlite" charge=100
  if [ $mix = 1 ]; then
    measure "$r" postgres-mix "$pgdsn" charge=85,topup=5,list=10
    measure "$r" sqlite-mix "$sqlite" charge=85,topup=5,list=10
  fi
done

python3 - "$results" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for rnd, name, rate, p99 in rows:
    by.setdefault(name, []).append((int(rnd), float(rate), None if p99 == "-" else float(p99)))
ceil = {rnd: rate for rnd, rate, _ in by["ceiling"]}
print(f"\nmedians over {len(ceil)} rounds (ratios within each round):")
print(f"{'':16} {'requests/s':>10} {'p99 ms':>7} {'ratio to ceiling':>17}")
for name, rs in by.items():
    rate = statistics.median(r for _, r, _ in rs)
    p99s = [p for _, _, p in rs if p is not None]
    ratio = statistics.median(r / ceil[n] for n, r, _ in rs)
    p99 = f"{statistics.median(p99s):.1f}" if p99s else ""
    print(f"{name:16} {rate:10,.0f} {p99:>7} {ratio:17.3f}")
for db in ("postgres", "sqlite"):
    if db + "-mix" in by:
        share = statistics.median(m / c for (_, m, _), (_, c, _) in zip(by[db + "-mix"], by[db]))
        print(f"{db}: requests/s in the default mix / charges only: {share:.2f}")
EOF
