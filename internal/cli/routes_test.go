package cli

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRoutesFlags: -routes and -routes-auto win over LOGSTATS_ROUTES and
// LOGSTATS_ROUTES_AUTO, which win over config.ini's [log] routes and
// routes_auto; @FILE reads a template a line; a bad value names where it
// came from.
func TestRoutesFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "routes.txt")
	if err := os.WriteFile(file, []byte("# ours\n/f/{x}\n\n/g/{y}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		args      []string
		env, ini  map[string]string
		templates string
		auto      bool
		err       string
	}{
		{name: "defaults", auto: true},
		{name: "file", ini: map[string]string{"routes": "/i/{x}", "routes_auto": "false"}, templates: "/i/{x}"},
		{name: "env over file", env: map[string]string{"LOGSTATS_ROUTES": "/e/{x}, /e2", "LOGSTATS_ROUTES_AUTO": "true"},
			ini: map[string]string{"routes": "/i/{x}", "routes_auto": "false"}, templates: "/e/{x},/e2", auto: true},
		{name: "flag over env", args: []string{"-routes", "@" + file, "-routes-auto=false"}, env: map[string]string{"LOGSTATS_ROUTES": "/e/{x}"},
			templates: "/f/{x},/g/{y}"},
		{name: "bad template", env: map[string]string{"LOGSTATS_ROUTES": "x/{y}"}, err: "LOGSTATS_ROUTES: logstats: invalid route template"},
		{name: "bad auto", ini: map[string]string{"routes_auto": "maybe"}, err: "config [log] routes_auto: want true or false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rf := parsedFlags(t, AddRoutesFlags, tc.args)
			r, err := rf.Routes(func(k string) string { return tc.env[k] }, tc.ini)
			if wantedErr(t, err, tc.err) {
				return
			}
			if got := strings.Join(r.Templates(), ","); got != tc.templates || r.Auto() != tc.auto {
				t.Errorf("templates %q, auto %v; want %q, %v", got, r.Auto(), tc.templates, tc.auto)
			}
		})
	}
}

// parsedFlags defines flags on a new FlagSet with add and parses args.
func parsedFlags[T any](t *testing.T, add func(*flag.FlagSet) T, args []string) T {
	t.Helper()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	v := add(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return v
}

// wantedErr fails unless err is as wanted: an error containing want, or
// none when want is empty. It reports whether an error was wanted.
func wantedErr(t *testing.T, err error, want string) bool {
	t.Helper()
	if want != "" {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("err %v, want %q", err, want)
		}
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	return false
}
