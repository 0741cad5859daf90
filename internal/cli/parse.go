package cli

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/logstats/logstats"
)

// ParseFlags are the flags that say how to read logs, which the runner and
// the server share: -format, -customer, -customer-default, -keep-query and
// -timezone. Each may also come from the environment (LOGSTATS_FORMAT, ...)
// or the [log] section of config.ini (format = nginx, ...); a flag wins over
// the environment, which wins over the file.
type ParseFlags struct {
	fs                                                  *flag.FlagSet
	format, fields, customer, customerDefault, timezone *string
	keepQuery                                           *bool
	dimensions                                          *listFlag
}

// parseSettings are the settings of ParseFlags: flag, environment variable
// and config.ini key.
var parseSettings = []struct{ flag, env, key string }{
	{"format", "LOGSTATS_FORMAT", "format"},
	{"fields", "LOGSTATS_FIELDS", "fields"},
	{"customer", "LOGSTATS_CUSTOMER", "customer"},
	{"customer-default", "LOGSTATS_CUSTOMER_DEFAULT", "customer_default"},
	{"keep-query", "LOGSTATS_KEEP_QUERY", "keep_query"},
	{"timezone", "LOGSTATS_TIMEZONE", "timezone"},
	{"dimension", "LOGSTATS_DIMENSIONS", "dimensions"},
}

// AddParseFlags defines the ParseFlags on fs.
func AddParseFlags(fs *flag.FlagSet) *ParseFlags {
	return &ParseFlags{
		fs:              fs,
		format:          fs.String("format", "auto", "the logs' `format`: auto (detect it), logstats, nginx, apache,\ntraefik, envoy, alb, haproxy, caddy, jsonl (see -fields), nginx:'LOG_FORMAT' (an nginx log_format\nstring), apache:'LOGFORMAT' (an Apache LogFormat string) or envoy:'FORMAT'\n(default: $LOGSTATS_FORMAT, else config.ini [log] format, else auto)"),
		fields:          fs.String("fields", "", "the keys of a jsonl log: time=KEY[:s|ms],customer=KEY,path=KEY,status=KEY,latency=KEY[:s|ms|us|ns|duration],method=KEY\n(dotted keys reach nested objects; default time, customer_id, path, status, latency, method)"),
		customer:        fs.String("customer", "", "where a line's customer is: a field of the format (remote_user, http_x_api_key, %u,\n%{X-Customer}i, REQ(X-Api-Key), hr for HAProxy's captured header, a JSON key), path:PATTERN\n(path:/v1/customers/{}/) or query:NAME (default: the format's own; envoy, alb and haproxy have\nnone, so it or -customer-default is required there)"),
		customerDefault: fs.String("customer-default", "", "load the lines whose customer is missing under this `NAME` (default: count them as\nunattributed and leave them out)"),
		keepQuery:       fs.Bool("keep-query", false, "keep the query string in the stored path (default: the path ends before '?')"),
		timezone:        fs.String("timezone", "UTC", "time zone of timestamps that carry none (the logstats format's), an IANA name"),
		dimensions:      dimensionFlag(fs),
	}
}

// dimensionFlag defines -dimension, repeatable, on fs.
func dimensionFlag(fs *flag.FlagSet) *listFlag {
	l := new(listFlag)
	fs.Var(l, "dimension", "keep one more value with each request, `NAME=SELECTOR` (repeatable, at most 4): NAME a\n"+
		"lowercase identifier, SELECTOR as for -customer (region=http_x_region, tier=query:tier); breakdowns\n"+
		"group by NAME and stats filter on it (default: $LOGSTATS_DIMENSIONS, else config.ini [log]\n"+
		"dimensions, comma-separated)")
	return l
}

// A listFlag is a flag that may be given several times; its value is its
// values comma-separated, as the environment and config.ini write a list.
type listFlag []string

func (l *listFlag) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

func (l *listFlag) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// dimensionList returns the dimensions: the -dimension flags as given
// (a selector may hold a comma) when the setting comes from them (from,
// as setting says; none when it is the flag's empty default), else value,
// the environment's or config.ini's comma-separated list. An empty
// -dimension "" says none.
func (f *ParseFlags) dimensionList(value, from string) []string {
	if from != "-dimension" {
		return splitList(value)
	}
	var out []string
	for _, d := range *f.dimensions {
		if d = strings.TrimSpace(d); d != "" {
			out = append(out, d)
		}
	}
	return out
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// setting returns the value of the flag name of fs, from the flag when it
// was given, else from the environment variable env, else from the key of
// config.ini's [log] section, else the flag's default; and where it came
// from, for a message.
func setting(fs *flag.FlagSet, getenv func(string) string, ini map[string]string, name, env, key string) (value, from string) {
	return sectionSetting(fs, getenv, "log", ini, name, env, key)
}

// sectionSetting is setting, with the key in config.ini's section
// (whose keys ini holds) of this name.
func sectionSetting(fs *flag.FlagSet, getenv func(string) string, section string, ini map[string]string, name, env, key string) (value, from string) {
	given := false
	fs.Visit(func(fl *flag.Flag) { given = given || fl.Name == name })
	fl := fs.Lookup(name)
	switch v, inFile := ini[key]; {
	case given:
		return fl.Value.String(), "-" + name
	case getenv(env) != "":
		return getenv(env), env
	case inFile:
		return v, "config [" + section + "] " + key
	}
	return fl.DefValue, "-" + name
}

// Config returns the ParseConfig the flags, getenv and the config file's
// [log] section (nil when there is none) say.
func (f *ParseFlags) Config(getenv func(string) string, ini map[string]string) (logstats.ParseConfig, error) {
	values := map[string]string{}
	from := map[string]string{}
	for _, s := range parseSettings {
		values[s.flag], from[s.flag] = setting(f.fs, getenv, ini, s.flag, s.env, s.key)
	}
	pc, err := logstats.ParseSettings{
		Format: values["format"], Fields: values["fields"],
		Customer: values["customer"], CustomerDefault: values["customer-default"],
		Dimensions: f.dimensionList(values["dimension"], from["dimension"]),
	}.Config()
	var serr *logstats.SettingError
	if errors.As(err, &serr) {
		flag := map[string]string{"Format": "format", "Fields": "fields", "Customer": "customer", "CustomerDefault": "customer-default", "Dimensions": "dimension"}[serr.Setting]
		return pc, fmt.Errorf("%s: %v", from[flag], serr.Err)
	}
	if err != nil {
		return pc, err
	}
	if pc.KeepQuery, err = strconv.ParseBool(values["keep-query"]); err != nil {
		return pc, fmt.Errorf("%s: want true or false", from["keep-query"])
	}
	if pc.Location, err = time.LoadLocation(values["timezone"]); err != nil {
		return pc, fmt.Errorf("%s: %v", from["timezone"], err)
	}
	return pc, nil
}
