package main

import "testing"

// TestKeptSections: a run of scripts/bench.sh keeps the sections other
// scripts wrote into BENCHMARKS.md, and only those.
func TestKeptSections(t *testing.T) {
	old := "# Benchmarks\n\n## Ingest\n\nx\n\n## Scaling out: a head\n\n| a |\n\n### sub\n\ny\n\n## Profiles\n\nz\n"
	want := "\n## Scaling out: a head\n\n| a |\n\n### sub\n\ny\n"
	if got := keptSections(old); got != want {
		t.Fatalf("keptSections = %q, want %q", got, want)
	}
	two := "# B\n\n## Scaling out: a\n\nx\n\n## Scaling out: b\n\ny\n\n## Profiles\n"
	if got, want := keptSections(two), "\n## Scaling out: a\n\nx\n\n## Scaling out: b\n\ny\n"; got != want {
		t.Fatalf("keptSections of two adjacent = %q, want %q", got, want)
	}
	if got := keptSections("# Benchmarks\n\n## Ingest\n"); got != "" {
		t.Fatalf("keptSections of a report without one = %q", got)
	}
}
