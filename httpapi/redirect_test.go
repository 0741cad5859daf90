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
	for _, p := range []string{"//health/", "/health/../ready", "/./load", "//customers//cust_1/stats/", "/a/b/../../..//c", "/x:y/../z:w", "/./", "//"} {
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
		loc := relativeRef(p, clean)
		if loc == clean && climbsAboveRoot(p) {
			return // the client's own URL leaves the prefix: the clean path is all there is
		}
		ref, err := url.Parse(loc)
		if err != nil || ref.IsAbs() || strings.HasPrefix(ref.Path, "/") {
			t.Fatalf("relativeRef(%q, %q) = %q: not a relative path reference (%v)", p, clean, relativeRef(p, clean), err)
		}
		base := &url.URL{Scheme: "http", Host: "h", Path: prefix + p}
		if got, want := base.ResolveReference(ref).Path, prefix+clean; got != want {
			t.Fatalf("from %q, Location %q leads to %q, want %q", base.Path, ref, got, want)
		}
	})
}

// climbsAboveRoot reports whether the ".." segments of p's directory go above
// its root.
func climbsAboveRoot(p string) bool {
	depth := 0
	for _, seg := range strings.Split(p[:strings.LastIndexByte(p, '/')], "/")[1:] {
		switch seg {
		case ".":
		case "..":
			if depth == 0 {
				return true
			}
			depth--
		default:
			depth++
		}
	}
	return false
}
