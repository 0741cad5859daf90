package cli

import (
	"testing"

	"github.com/logstats/logstats"
)

// TestObjectiveFlags: -failed wins over LOGSTATS_FAILED, which wins over
// config.ini's [slo] failed; a bad value names where it came from.
func TestObjectiveFlags(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		env, ini map[string]string
		failed   logstats.FailedStatuses
		err      string
	}{
		{name: "default", failed: logstats.Failed4xx5xx},
		{name: "file", ini: map[string]string{"failed": "5xx"}, failed: logstats.Failed5xx},
		{name: "env over file", env: map[string]string{"LOGSTATS_FAILED": "4xx,5xx"}, ini: map[string]string{"failed": "5xx"}, failed: logstats.Failed4xx5xx},
		{name: "flag over env", args: []string{"-failed", "5xx"}, env: map[string]string{"LOGSTATS_FAILED": "4xx,5xx"}, failed: logstats.Failed5xx},
		{name: "bad env", env: map[string]string{"LOGSTATS_FAILED": "4xx"}, err: `LOGSTATS_FAILED: logstats: invalid definition of failed requests: "4xx"`},
		{name: "bad file", ini: map[string]string{"failed": "all"}, err: `config [slo] failed: logstats: invalid definition of failed requests: "all"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			of := parsedFlags(t, AddObjectiveFlags, tc.args)
			got, err := of.Failed(func(k string) string { return tc.env[k] }, tc.ini)
			if wantedErr(t, err, tc.err) {
				return
			}
			if got != tc.failed {
				t.Errorf("failed %v, want %v", got, tc.failed)
			}
		})
	}
}

// TestObjectiveFlags_SLO: -slo wins over LOGSTATS_SLO, which wins over
// config.ini's [slo] default; none by default; a bad value names where it
// came from.
func TestObjectiveFlags_SLO(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		env, ini map[string]string
		want     string
		err      string
	}{
		{name: "none"},
		{name: "file", ini: map[string]string{"default": "uptime>=99.9, p99<=0.5"}, want: "uptime>=99.9,p99<=0.5"},
		{name: "env over file", env: map[string]string{"LOGSTATS_SLO": "p95<=0.3"}, ini: map[string]string{"default": "uptime>=99"}, want: "p95<=0.3"},
		{name: "flag over env", args: []string{"-slo", "uptime>=99.95"}, env: map[string]string{"LOGSTATS_SLO": "p95<=0.3"}, want: "uptime>=99.95"},
		{name: "bad flag", args: []string{"-slo", "uptime>99"}, err: `-slo: logstats: invalid objective "uptime>99"`},
		{name: "bad file", ini: map[string]string{"default": "p99<=fast"}, err: `config [slo] default: logstats: invalid objective "p99<=fast"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			of := parsedFlags(t, AddObjectiveFlags, tc.args)
			got, err := of.Objectives(func(k string) string { return tc.env[k] }, tc.ini)
			if wantedErr(t, err, tc.err) {
				return
			}
			if s := logstats.FormatObjectives(got); s != tc.want {
				t.Errorf("objectives %q, want %q", s, tc.want)
			}
		})
	}
}
