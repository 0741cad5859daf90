#!/usr/bin/env bash
# A MariaDB Spider cluster on this machine, from Debian's packages: three
# shards on distinct loopback addresses (Spider's XA tells its members
# apart by host, not port) and a head with the Spider engine,
# spider_internal_xa=ON and spider_internal_xa_id_type=1 (each transaction
# its own XA id).
#
#   scripts/spider.sh start DIR        start (creating them the first time)
#                                      the shards 127.0.0.1:3307,
#                                      127.0.0.2:3308, 127.0.0.3:3309 and the
#                                      head 127.0.0.1:3310, each with an
#                                      empty database logstats; write
#                                      DIR/cluster.env; print the head's DSN
#                                      last
#   scripts/spider.sh kill-shard DIR N kill shard N with SIGKILL
#   scripts/spider.sh start-shard DIR N start shard N again
#   scripts/spider.sh stop DIR         stop them all
#
# The logstats tables are created by logstats itself, through the head:
#   go run ./examples/runner -dsn "$HEAD_DSN" -shards "$SHARD_DSNS" -verify
# (any runner or server run with -shards provisions the head first).
# DIR/cluster.env holds HEAD_DSN, HEAD_PID, SHARD_DSNS (comma-separated)
# and, for n = 1..3, SHARD_<n>_HOST, SHARD_<n>_PORT, SHARD_<n>_PID and
# SHARD_<n>_DSN. Everything runs as the calling user; stop what start
# started with stop (by PID).
set -euo pipefail

usage() {
	echo "usage: $0 start DIR | stop DIR | kill-shard DIR N | start-shard DIR N" >&2
	exit 2
}
[ $# -ge 2 ] || usage
cmd=$1
case $cmd in start | stop | kill-shard | start-shard) ;; *) usage ;; esac
dir=$(mkdir -p "$2" && cd "$2" && pwd)
env_file=$dir/cluster.env
shards=3

host_of() { if [ "$1" = head ]; then echo 127.0.0.1; else echo "127.0.0.$1"; fi; }
port_of() { if [ "$1" = head ]; then echo 3310; else echo $((3306 + $1)); fi; }
name_of() { if [ "$1" = head ]; then echo head; else echo "shard$1"; fi; }

need_packages() {
	local missing=()
	[ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server mariadb-client)
	ls /usr/lib/mysql/plugin/ha_spider.so >/dev/null 2>&1 || missing+=(mariadb-plugin-spider)
	if [ ${#missing[@]} -gt 0 ]; then
		echo "spider.sh: installing ${missing[*]} from Debian's packages" >&2
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
}

# start_member M: start member M (a shard's number, or head), creating its
# data directory the first time; prints its PID.
start_member() {
	local m=$1 name host port data
	name=$(name_of "$m")
	host=$(host_of "$m")
	port=$(port_of "$m")
	data=$dir/$name/data
	if [ ! -d "$data/mysql" ]; then
		mkdir -p "$data"
		mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$data" \
			--auth-root-authentication-method=normal --skip-test-db >"$dir/$name/install.log" 2>&1 ||
			{ cat "$dir/$name/install.log" >&2; exit 1; }
	fi
	local extra=()
	if [ "$m" = head ]; then
		extra=(--plugin-load-add=ha_spider --spider-internal-xa=ON --spider-internal-xa-id-type=1)
	fi
	mariadbd --no-defaults --user="$(id -un)" --datadir="$data" \
		--socket="$dir/$name/mysqld.sock" --pid-file="$dir/$name/mysqld.pid" \
		--bind-address="$host" --port="$port" --skip-name-resolve \
		--log-error="$dir/$name/error.log" --innodb-buffer-pool-size=64M \
		--max-connections=300 "${extra[@]}" </dev/null >/dev/null 2>&1 &
	echo $!
}

# wait_member M PID: wait until member M answers, then make sure it has
# the logstats database and a root user for TCP from the loopback.
wait_member() {
	local m=$1 pid=$2 name sock
	name=$(name_of "$m")
	sock=$dir/$name/mysqld.sock
	for _ in $(seq 120); do
		mariadb-admin --no-defaults --socket="$sock" --user=root ping >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || { tail -20 "$dir/$name/error.log" >&2 || true; echo "spider.sh: $name exited" >&2; exit 1; }
		sleep 0.25
	done
	mariadb --no-defaults --socket="$sock" --user=root -e "
		CREATE USER IF NOT EXISTS 'root'@'127.%';
		GRANT ALL ON *.* TO 'root'@'127.%' WITH GRANT OPTION;
		CREATE DATABASE IF NOT EXISTS logstats;" ||
		{ echo "spider.sh: $name does not answer" >&2; exit 1; }
}

dsn_of() { echo "mysql://root@$(host_of "$1"):$(port_of "$1")/logstats"; }

write_env() {
	local tmp=$env_file.tmp dsns=()
	{
		echo "HEAD_PID=$HEAD_PID"
		for n in $(seq $shards); do
			local v="SHARD_${n}_PID"
			echo "SHARD_${n}_HOST=$(host_of "$n")"
			echo "SHARD_${n}_PORT=$(port_of "$n")"
			echo "SHARD_${n}_PID=${!v}"
			echo "SHARD_${n}_DSN=$(dsn_of "$n")"
			dsns+=("$(dsn_of "$n")")
		done
		echo "SHARD_DSNS=$(
			IFS=,
			echo "${dsns[*]}"
		)"
		echo "HEAD_DSN=$(dsn_of head)"
	} >"$tmp"
	mv "$tmp" "$env_file"
}

load_env() {
	[ -f "$env_file" ] || { echo "spider.sh: no $env_file; run $0 start $dir first" >&2; exit 1; }
	# shellcheck disable=SC1090
	. "$env_file"
}

# is_member PID M: whether PID is still member M's mariadbd (and not a
# process that got its PID since).
is_member() {
	local pid=$1
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] &&
		tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qx -- "--datadir=$dir/$(name_of "$2")/data"
}

# stop_member PID M SIGNAL: signal member M, if PID is still it, and wait
# until it is gone; returns 1 if it does not stop.
stop_member() {
	local pid=$1 m=$2 sig=$3
	is_member "$pid" "$m" || return 0
	kill -"$sig" "$pid" 2>/dev/null || return 0
	for _ in $(seq 240); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.25
	done
	echo "spider.sh: $(name_of "$m") (PID $pid) did not stop" >&2
	return 1
}

case $cmd in
start)
	[ $# -eq 2 ] || usage
	need_packages
	if [ -f "$env_file" ]; then
		load_env
		for m in head 1 2 3; do
			v=SHARD_${m}_PID
			[ "$m" = head ] && v=HEAD_PID
			if is_member "${!v}" "$m"; then
				echo "spider.sh: the cluster in $dir is running ($(name_of "$m"), PID ${!v}); stop it first" >&2
				exit 1
			fi
		done
	fi
	# Until the cluster is up, a failure stops what was started.
	started=()
	trap 'for p in "${started[@]}"; do kill -9 "$p" 2>/dev/null || true; done' EXIT
	for n in $(seq $shards); do
		pid=$(start_member "$n")
		[ -n "$pid" ] || exit 1
		declare "SHARD_${n}_PID=$pid"
		started+=("$pid")
	done
	HEAD_PID=$(start_member head)
	[ -n "$HEAD_PID" ] || exit 1
	started+=("$HEAD_PID")
	for n in $(seq $shards); do
		v="SHARD_${n}_PID"
		wait_member "$n" "${!v}"
	done
	wait_member head "$HEAD_PID"
	write_env
	trap - EXIT
	echo "spider.sh: 3 shards and a head in $dir; settings in $env_file" >&2
	dsn_of head
	;;
stop)
	[ $# -eq 2 ] || usage
	load_env
	failed=0
	stop_member "$HEAD_PID" head TERM || failed=1
	for n in $(seq $shards); do
		v=SHARD_${n}_PID
		stop_member "${!v}" "$n" TERM || failed=1
	done
	exit $failed
	;;
kill-shard | start-shard)
	[ $# -eq 3 ] || usage
	n=$3
	[[ $n =~ ^[1-3]$ ]] || { echo "spider.sh: N is 1, 2 or 3" >&2; exit 2; }
	load_env
	v="SHARD_${n}_PID"
	if [ "$cmd" = kill-shard ]; then
		is_member "${!v}" "$n" || { echo "spider.sh: shard $n is not running" >&2; exit 1; }
		stop_member "${!v}" "$n" KILL
	else
		if is_member "${!v}" "$n"; then
			echo "spider.sh: shard $n is running (PID ${!v})" >&2
			exit 1
		fi
		pid=$(start_member "$n")
		[ -n "$pid" ] || exit 1
		declare "SHARD_${n}_PID=$pid"
		wait_member "$n" "$pid"
		write_env
	fi
	;;
*)
	usage
	;;
esac
