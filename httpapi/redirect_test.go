package httpapi

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzRelativeRef checks the redirect's Location on any path: resolved as a
// client resolves it (RFC 3986, through net/url), against the path under any
// mount prefix, it leads to the prefix followed by the clean path.
func FuzzRelativeRef(f *testing.F) {
	for _, p := range []string{"//health/", "/health/../ready", "/./load", "//customers//cust_1/stats/", "/a/b/../../..//c", "/x:y/../z:w", "/./", "//", "/../"} {
		f.Add(p, "/logstats")
	}
	f.Fuzz(func(t *testing.T, p, prefix string) {
		escaped := func(s string) bool { // what an escaped path may hold
			for _, c := range []byte(s) {
				if c <= ' ' || c >= 0x7f || strings.IndexByte(`?#%\"<>^`+"`{|}", c) >= 0 {
					return false
				}
			}
			return true
		}
		if !strings.HasPrefix(p, "/") || !escaped(p+prefix) || strings.Contains(prefix, "/.") || strings.Contains(prefix, "//") ||
			strings.HasSuffix(prefix, "/") || (prefix != "" && !strings.HasPrefix(prefix, "/")) {
			return // paths as the handler sees them (escaped, absolute), prefixes as StripPrefix takes them
		}
		clean := cleanPath(p)
		if clean == p {
			return
		}
		// Under a prefix, does p's own directory climb out of it? Then no
		// relative reference leads back in, and the clean path is what the
		// client gets.
		probe := &url.URL{Path: "/prefix" + p}
		if dir := probe.ResolveReference(&url.URL{Path: "./"}).Path; !strings.HasPrefix(dir, "/prefix/") {
			if got := relativeRef(p, clean); got != clean {
				t.Fatalf("relativeRef(%q, %q) = %q, want the clean path", p, clean, got)
			}
			return
		}
		ref, err := url.Parse(relativeRef(p, clean))
		if err != nil || ref.IsAbs() || strings.HasPrefix(ref.Path, "/") {
			t.Fatalf("relativeRef(%q, %q) = %q: not a relative path reference (%v)", p, clean, relativeRef(p, clean), err)
		}
		base := &url.URL{Scheme: "http", Host: "h", Path: prefix + p}
		if got, want := base.ResolveReference(ref).Path, prefix+clean; got != want {
			t.Fatalf("from %q, Location %q leads to %q, want %q", base.Path, ref, got, want)
		}
	})
}
