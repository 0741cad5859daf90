package cli

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/logstats/logstats"
)

// RoutesFlags are -routes and -routes-auto, which turn paths into the
// routes of breakdowns and filters (SPEC §14). Each may also come from the
// environment (LOGSTATS_ROUTES, LOGSTATS_ROUTES_AUTO) or the [log] section
// of config.ini (routes, routes_auto); a flag wins over the environment,
// which wins over the file.
type RoutesFlags struct {
	fs *flag.FlagSet
}

// AddRoutesFlags defines the RoutesFlags on fs.
func AddRoutesFlags(fs *flag.FlagSet) *RoutesFlags {
	fs.String("routes", "", "route templates, comma-separated, such as /v1/users/{id}/orders/{order} ({name} matches one\n"+
		"segment; the first template that matches a whole path wins), or @FILE to read them one a line\n"+
		"(default: $LOGSTATS_ROUTES, else config.ini [log] routes)")
	fs.Bool("routes-auto", true, "in the paths no template matches, replace segments that are numbers, UUIDs or 16 or more\n"+
		"hexadecimal digits by {id} (default: $LOGSTATS_ROUTES_AUTO, else config.ini [log] routes_auto, else true)")
	return &RoutesFlags{fs: fs}
}

// Routes returns the Routes the flags, getenv and the config file's [log]
// section (nil when there is none) say.
func (f *RoutesFlags) Routes(getenv func(string) string, ini map[string]string) (*logstats.Routes, error) {
	list, from := setting(f.fs, getenv, ini, "routes", "LOGSTATS_ROUTES", "routes")
	autoText, autoFrom := setting(f.fs, getenv, ini, "routes-auto", "LOGSTATS_ROUTES_AUTO", "routes_auto")
	auto, err := strconv.ParseBool(autoText)
	if err != nil {
		return nil, fmt.Errorf("%s: want true or false", autoFrom)
	}
	templates, err := routeTemplates(list)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	r, err := logstats.ParseRoutes(templates, auto)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	return r, nil
}

// routeTemplates splits a list of templates, or reads the file of
// @FILE: one a line, blank lines and lines starting with # skipped.
func routeTemplates(list string) ([]string, error) {
	var out []string
	if name, ok := strings.CutPrefix(list, "@"); ok {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
				out = append(out, line)
			}
		}
		return out, sc.Err()
	}
	for _, t := range strings.Split(list, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out, nil
}
