#!/usr/bin/env bash
# Ingest through a MariaDB Spider head (3 shards) against one MariaDB, same
# file, same run, alternating: the "one MariaDB" is shard 1 of the same
# cluster (same binary, same settings), loaded directly into a database of
# its own.
#
#   scripts/bench-spider.sh [-lines N] [-customers N] [-reps N] [-batch N]
#
# It starts a cluster with scripts/spider.sh in a temporary directory (and
# stops it), so ports 3307-3310 must be free. Prints a Markdown table.
set -euo pipefail
shopt -s inherit_errexit # set -e inside $(...) too
cd "$(dirname "$0")/.."

lines=500000 customers=1000 reps=3 batch=100000
while [ $# -gt 0 ]; do
	case $1 in
	-lines) lines=$2; shift 2 ;;
	-customers) customers=$2; shift 2 ;;
	-reps) reps=$2; shift 2 ;;
	-batch) batch=$2; shift 2 ;;
	*) echo "usage: $0 [-lines N] [-customers N] [-reps N] [-batch N]" >&2; exit 2 ;;
	esac
done

work=$(mktemp -d)
trap 'scripts/spider.sh stop "$work/cluster" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
go build -o "$work/runner" ./examples/runner
go run ./examples/loggen -lines "$lines" -customers "$customers" -days 30 -seed 7 -o "$work/access.log"
scripts/spider.sh start "$work/cluster" >/dev/null
# shellcheck disable=SC1091
. "$work/cluster/cluster.env"

sql() { mariadb --no-defaults -uroot -h"$1" -P"$2" -N -e "$3"; }

# load DSN [-shards LIST]: provisions (untimed: an empty run), then loads
# the log and prints the load's seconds.
load() {
	local dsn=$1
	shift
	"$work/runner" -dsn "$dsn" "$@" -prune-before 1970-01-01 -progress off >/dev/null || return 1
	"$work/runner" -dsn "$dsn" -batch "$batch" -progress off -json "$work/access.log" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["total"]["seconds"])'
}

single=() head=()
for rep in $(seq "$reps"); do
	db="bench_$rep"
	sql "$SHARD_1_HOST" "$SHARD_1_PORT" "CREATE DATABASE single_$db"
	single+=("$(load "mysql://root@$SHARD_1_HOST:$SHARD_1_PORT/single_$db")")
	for n in 1 2 3; do
		h=SHARD_${n}_HOST p=SHARD_${n}_PORT
		sql "${!h}" "${!p}" "CREATE DATABASE $db"
	done
	sql 127.0.0.1 3310 "CREATE DATABASE $db"
	shards=""
	for n in 1 2 3; do
		h=SHARD_${n}_HOST p=SHARD_${n}_PORT
		shards+="${shards:+,}mysql://root@${!h}:${!p}/$db"
	done
	head+=("$(load "mysql://root@127.0.0.1:3310/$db" -shards "$shards")")
	echo "rep $rep: one MariaDB ${single[-1]} s, Spider head over 3 shards ${head[-1]} s" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ms=$(median "${single[@]}") mh=$(median "${head[@]}")
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(mariadbd --version | awk '{print $3}'); all four servers on this machine."
echo "Log: $lines lines, $customers customers, 30 days (examples/loggen -seed 7); batches of $batch lines; $reps runs each, alternating."
echo
echo "| target | median load | runs | lines/s |"
echo "| --- | --- | --- | --- |"
runs() { printf '%.2f ' "$@" | sed 's/ $//'; }
printf '| one MariaDB (shard 1, directly) | %.2f s | %s | %.0f |\n' "$ms" "$(runs "${single[@]}")" "$(echo "$lines / $ms" | bc -l)"
printf '| Spider head, 3 shards | %.2f s | %s | %.0f |\n' "$mh" "$(runs "${head[@]}")" "$(echo "$lines / $mh" | bc -l)"
printf '\nThe head took %.2f× the time of one MariaDB.\n' "$(echo "$mh / $ms" | bc -l)"
