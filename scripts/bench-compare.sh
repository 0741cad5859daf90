#!/usr/bin/env bash
# Compare the root package's benchmarks of a base revision with the working
# tree, on this machine, in one run: both test binaries are built first, then
# run in turn (base, current, base, ...) so that both see the same machine
# state, and benchstat summarises them.
#
#   scripts/bench-compare.sh BASE_REV [COUNT] [BENCH_REGEXP]
#
# COUNT defaults to 6 runs of each; BENCH_REGEXP to the three benchmarks the
# structural issues report (BenchmarkParse, BenchmarkIngest,
# BenchmarkFindStats). MySQL variants run when LOGSTATS_TEST_MYSQL_DSN is set
# (SPEC §7). Output: bench-compare/{base,current}.txt and benchstat's table.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: scripts/bench-compare.sh BASE_REV [COUNT] [BENCH_REGEXP]}
count=${2:-6}
bench=${3:-'^(BenchmarkParse|BenchmarkIngest|BenchmarkFindStats)$'}
out=bench-compare
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'git worktree remove --force "$tmp/base" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git worktree add --detach -q "$tmp/base" "$base"
(cd "$tmp/base" && go test -c -o "$tmp/base.test" .)
go test -c -o "$tmp/current.test" .
: >"$out/base.txt"
: >"$out/current.txt"
for i in $(seq "$count"); do
	for which in base current; do
		# Each binary runs in its own source tree, for its testdata/.
		dir=$PWD
		[ "$which" = base ] && dir=$tmp/base
		(cd "$dir" && "$tmp/$which.test" -test.run '^$' -test.bench "$bench" -test.benchmem -test.count 1) |
			grep -E '^(Benchmark|goos|goarch|pkg|cpu)' >>"$out/$which.txt"
	done
	echo "run $i of $count done" >&2
done
go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da "$out/base.txt" "$out/current.txt"
