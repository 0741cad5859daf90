// Package cli holds the flags that examples/runner and examples/server share
// beyond the database's: -version and the slog logging flags.
package cli

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
)

// LogFlags are -log-format and -log-level.
type LogFlags struct {
	format, level *string
}

// AddLogFlags defines -log-format and -log-level on fs, with the given
// default level ("info" for a server, "warn" for a quiet command).
func AddLogFlags(fs *flag.FlagSet, defaultLevel string) *LogFlags {
	return &LogFlags{
		format: fs.String("log-format", "text", "format of the logs on stderr: text (key=value) or json (one object a line)"),
		level:  fs.String("log-level", defaultLevel, "least severe logs shown: debug, info, warn or error"),
	}
}

// Logger returns a logger that writes to w as the flags ask, or an error
// that names the flag at fault.
func (f *LogFlags) Logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(*f.level)); err != nil {
		return nil, fmt.Errorf("-log-level: %q is not a level; want debug, info, warn or error", *f.level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(*f.format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format: %q is not a format; want text or json", *f.format)
}

// AddVersionFlag defines -version on fs.
func AddVersionFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("version", false, "print the version and exit")
}

// Version describes the build: the module's version (or "(devel)" for a
// build from a checkout), the commit when the build recorded it, and Go's
// version. For example: "logstats v1.2.0 (commit 7670e7e, go1.26.8)".
func Version(command string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return command + " (no build information)"
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	details := info.GoVersion
	if rev != "" {
		details = "commit " + rev[:min(len(rev), 12)] + modified + ", " + details
	}
	return fmt.Sprintf("%s %s (%s)", command, v, details)
}
