#!/usr/bin/env bash
# Fuzz the parser, whole streams, the format-string readers, the block decoder, the whole load path and the API's redirect
# references, one after the other, and print how many inputs each ran. The durations default to those
# docs/RELIABILITY.md reports; pass others as FUZZ_SHORT (parsers) and FUZZ_LONG (load
# path), e.g. FUZZ_SHORT=30s FUZZ_LONG=1m scripts/fuzz.sh. A failing input
# is written to testdata/fuzz/<target>/ by go test, where it then stays as a
# seed: commit it with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
short=${FUZZ_SHORT:-5m}
long=${FUZZ_LONG:-10m}
for spec in "FuzzParse $short ." "FuzzParser $short ." "FuzzSplitFields $short ." "FuzzFormatString $short ." "FuzzDecodeBlock $short ." "FuzzLoad $long ." "FuzzRelativeRef $short ./httpapi" "FuzzParseBearer $short ./httpapi"; do
	set -- $spec
	out=$(go test -run '^$' -fuzz "^$1\$" -fuzztime "$2" "$3" 2>&1) || { echo "$out"; echo "fuzz: $1 failed" >&2; exit 1; }
	execs=$(echo "$out" | grep -o 'execs: [0-9]*' | tail -1 | cut -d' ' -f2 || true)
	echo "$1: $2, $execs executions, no failure"
done
