#!/usr/bin/env bash
# Measure logstats against reference tools on this machine and write
# BENCHMARKS.md (see internal/cmd/bench). Needs MariaDB or MySQL on loopback
# with local_infile=ON; installs sqlite3, goaccess, wrk, time and curl from
# Debian's packages when they are missing (as root), and DuckDB from npm (the
# version scripts/duckdb/package-lock.json pins) into a cache directory on
# first use, which needs node and npm.
#
#   scripts/bench.sh            # 100k and 1M lines
#   scripts/bench.sh --10m      # and 10M lines
#   scripts/bench.sh -reps 1    # flags after the first are passed to the benchmark
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=100000,1000000
if [[ ${1:-} == --10m ]]; then
	sizes=100000,1000000,10000000
	shift
fi

missing=()
for tool in sqlite3:sqlite3 goaccess:goaccess wrk:wrk /usr/bin/time:time mariadb:mariadb-client curl:curl; do
	command -v "${tool%%:*}" >/dev/null || missing+=("${tool##*:}")
done
if ((${#missing[@]})); then
	if [[ $(id -u) != 0 ]]; then
		echo "bench: missing ${missing[*]}; install them (apt-get install ${missing[*]}) and run again" >&2
		exit 1
	fi
	echo "bench: installing ${missing[*]}" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# DuckDB, a reference of the SQLite ingest: npm's @duckdb/node-api, installed
# once by npm ci into a cache directory (kept out of the Go module), again only
# when the lock file changes.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "bench: the DuckDB reference needs node and npm; install them (apt-get install nodejs npm) and run again" >&2
	exit 1
fi
duckdb=${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/logstats-bench/duckdb
if ! cmp -s scripts/duckdb/package-lock.json "$duckdb/installed.lock"; then
	echo "bench: installing DuckDB from npm into $duckdb" >&2
	rm -rf "$duckdb"
	mkdir -p "$duckdb"
	cp scripts/duckdb/package.json scripts/duckdb/package-lock.json "$duckdb/"
	(cd "$duckdb" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	cp scripts/duckdb/package-lock.json "$duckdb/installed.lock"
fi
cp scripts/duckdb/*.mjs "$duckdb/"

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
for cmd in runner server loggen; do
	go build -o "$bin/$cmd" "./examples/$cmd"
done
go build -o "$bin/bench" ./internal/cmd/bench

"$bin/bench" -bin "$bin" -duckdb "$duckdb/load.mjs" -sizes "$sizes" -mysql-user "${MYSQL_USER:-root}" "$@"
