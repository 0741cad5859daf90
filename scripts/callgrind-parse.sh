#!/usr/bin/env bash
# Counts the instructions a line of the logstats format costs the Parser, at
# BASE_REV and at the work tree, with valgrind's callgrind (instructions, not
# seconds: the same for the same binary and input, whatever else the machine
# does). Each count is the slope between runs of 100,000 and 300,000 lines,
# so that the test binary's start-up cancels out.
#
#   scripts/callgrind-parse.sh d25b05f
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: scripts/callgrind-parse.sh BASE_REV}
command -v valgrind >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; }
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add -f "$work/base" "$base" >/dev/null 2>&1
(cd "$work/base" && go test -c -o "$work/base.test" .)
go test -c -o "$work/head.test" .

# perline BINARY: the instructions a line of BenchmarkParse's logstats lines.
# The pattern runs BenchmarkParse/logstats, or a BenchmarkParse without
# sub-benchmarks (before the formats).
perline() {
	local counts=()
	for n in 100000 300000; do
		out=$(cd "$work" && GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
			"$1" -test.run '^$' -test.bench '^BenchmarkParse$/^logstats$' -test.benchtime "${n}x" 2>&1)
		counts+=("$(grep -o 'Collected : [0-9]*' <<<"$out" | grep -o '[0-9]*$')")
	done
	echo $(((counts[1] - counts[0]) / 200000))
}
b=$(perline "$work/base.test")
h=$(perline "$work/head.test")
echo "instructions a line, logstats format: $base $b, work tree $h ($(awk "BEGIN {printf \"%+.1f%%\", ($h - $b) * 100 / $b}"))"
