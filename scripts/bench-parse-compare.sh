#!/usr/bin/env bash
# Compare BenchmarkParse per format between two commits, as BENCHMARKS.md's
# "The formats of issue 23, against the commit before it" was measured:
# both test binaries built, then run alternately ROUNDS times (so that
# changes of the machine's load fall on both), then benchstat.
#
#   scripts/bench-parse-compare.sh BASE [HEAD] [ROUNDS]
#
# e.g. scripts/bench-parse-compare.sh bd3bfee b4bab40 6. HEAD defaults to
# the checkout's HEAD, ROUNDS to 6. Run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: $0 BASE [HEAD] [ROUNDS]}
head=${2:-HEAD}
rounds=${3:-6}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" 2>/dev/null; git worktree remove --force "$work/head" 2>/dev/null; rm -rf "$work"' EXIT
for side in base head; do
	rev=$base
	[ "$side" = head ] && rev=$head
	git worktree add -q --detach "$work/$side" "$rev"
	(cd "$work/$side" && go test -c -o "$work/$side.test" .)
done
for _ in $(seq "$rounds"); do
	for side in base head; do
		(cd "$work/$side" && "$work/$side.test" -test.run '^$' -test.bench '^BenchmarkParse$' -test.benchmem -test.count 1 >>"$work/$side.txt")
	done
done
go run golang.org/x/perf/cmd/benchstat@latest "$work/base.txt" "$work/head.txt"
