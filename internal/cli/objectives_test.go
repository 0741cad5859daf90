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
