package cli

import (
	"flag"
	"runtime/debug"
)

// MemoryLimit is the -memory-limit flag: a soft limit of the Go heap.
type MemoryLimit struct {
	fs  *flag.FlagSet
	mib *int
}

// AddMemoryLimitFlag defines -memory-limit on fs, with a default in MiB.
// what says what the limit keeps flat, for the flag's help.
func AddMemoryLimitFlag(fs *flag.FlagSet, defaultMiB int, what string) *MemoryLimit {
	return &MemoryLimit{fs: fs, mib: fs.Int("memory-limit", defaultMiB, "soft limit of the Go heap in `MiB` (debug.SetMemoryLimit): the garbage collector works\nharder near it, which keeps "+what+" flat; 0 leaves Go's default\n(or $GOMEMLIMIT, which wins when set and this flag is not)")}
}

// Apply sets the limit, after the flags are parsed, unless it is 0, or
// $GOMEMLIMIT is set and the flag was not given; restore puts back the
// limit before (the tests run the programs' run in one process).
func (m *MemoryLimit) Apply(getenv func(string) string) (restore func()) {
	given := false
	m.fs.Visit(func(f *flag.Flag) { given = given || f.Name == "memory-limit" })
	if *m.mib <= 0 || (!given && getenv("GOMEMLIMIT") != "") {
		return func() {}
	}
	before := debug.SetMemoryLimit(int64(*m.mib) << 20)
	return func() { debug.SetMemoryLimit(before) }
}
