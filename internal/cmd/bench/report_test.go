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

// TestTargetSizes: a target set at sizes the run measured is checked at
// them; one set at sizes it did not is checked at the largest, which says so.
func TestTargetSizes(t *testing.T) {
	r := &report{Sizes: []*sizeResult{{Lines: 100_000}, {Lines: 1_000_000}}}
	got := r.targetSizes(1_000_000, 10_000_000)
	if len(got) != 1 || got[0].Lines != 1_000_000 || got[0].at != 1_000_000 || got[0].name != "1M lines" {
		t.Fatalf("targetSizes(1M, 10M) = %+v, want 1M alone", got)
	}
	got = r.targetSizes(10_000_000)
	want := "1M lines (the largest measured; the target is at 10M)"
	if len(got) != 1 || got[0].Lines != 1_000_000 || got[0].at != 10_000_000 || got[0].name != want {
		t.Fatalf("targetSizes(10M) = %+v, want 1M named %q", got, want)
	}
}
