#!/usr/bin/env bash
# Measure logstats against reference tools on this machine and write
# BENCHMARKS.md (see internal/cmd/bench). Needs MariaDB or MySQL on loopback
# with local_infile=ON; installs sqlite3, goaccess, wrk and time from
# Debian's packages when they are missing (as root).
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
for tool in sqlite3:sqlite3 goaccess:goaccess wrk:wrk /usr/bin/time:time mariadb:mariadb-client; do
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

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
for cmd in runner server loggen; do
	go build -o "$bin/$cmd" "./examples/$cmd"
done
go build -o "$bin/bench" ./internal/cmd/bench

"$bin/bench" -bin "$bin" -sizes "$sizes" -mysql-user "${MYSQL_USER:-root}" "$@"
