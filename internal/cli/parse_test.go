package cli

import (
	"strings"
	"testing"
)

// TestDimensionFlags: -dimension, repeatable, wins over LOGSTATS_DIMENSIONS,
// which wins over config.ini's [log] dimensions, both comma-separated; a
// bad one names where it came from.
func TestDimensionFlags(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		env, ini map[string]string
		want     string
		err      string
	}{
		{name: "none"},
		{name: "file", ini: map[string]string{"dimensions": "region=http_x_region"}, want: "region=http_x_region"},
		{name: "env over file", env: map[string]string{"LOGSTATS_DIMENSIONS": "tier=query:tier, region=http_x_region"},
			ini: map[string]string{"dimensions": "x=query:x"}, want: "tier=query:tier,region=http_x_region"},
		{name: "flags over env", args: []string{"-dimension", "a=query:a", "-dimension", "b=path:/v1/{}/"},
			env: map[string]string{"LOGSTATS_DIMENSIONS": "tier=query:tier"}, want: "a=query:a,b=path:/v1/{}/"},
		{name: "a comma in a flag's selector", args: []string{"-dimension", "x=path:/a,b/{}"}, want: "x=path:/a,b/{}"},
		{name: "none over env", args: []string{"-dimension", ""}, env: map[string]string{"LOGSTATS_DIMENSIONS": "tier=query:tier"}},
		{name: "bad name", env: map[string]string{"LOGSTATS_DIMENSIONS": "Region=http_x_region"}, err: "LOGSTATS_DIMENSIONS: logstats: invalid dimension"},
		{name: "too many", args: []string{"-dimension", "a=query:a", "-dimension", "b=query:b", "-dimension", "c=query:c", "-dimension", "d=query:d", "-dimension", "e=query:e"},
			err: "-dimension: logstats: invalid dimension: 5 dimensions, more than the limit of 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pf := parsedFlags(t, AddParseFlags, tc.args)
			cfg, err := pf.Config(func(k string) string { return tc.env[k] }, tc.ini)
			if wantedErr(t, err, tc.err) {
				return
			}
			var got []string
			for _, d := range cfg.Dimensions {
				got = append(got, d.String())
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("dimensions %q, want %q", got, tc.want)
			}
		})
	}
}
