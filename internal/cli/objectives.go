package cli

import (
	"flag"
	"fmt"

	"github.com/logstats/logstats"
)

// ObjectiveFlags are the flags that say what a service promises its
// customers (SPEC §15), which the runner and the server share: -failed,
// the status classes counted as failed, and -slo, the objectives of the
// customers without their own. Each may also come from the environment
// (LOGSTATS_FAILED, LOGSTATS_SLO) or the [slo] section of config.ini
// (failed, default); a flag wins over the environment, which wins over the
// file.
type ObjectiveFlags struct {
	fs *flag.FlagSet
}

// AddObjectiveFlags defines the ObjectiveFlags on fs.
func AddObjectiveFlags(fs *flag.FlagSet) *ObjectiveFlags {
	fs.String("failed", "4xx,5xx", "the status `CLASSES` counted as failed requests in uptime and the counts: 4xx,5xx or 5xx\n"+
		"(SLAs usually leave client errors out; applies to data loaded before too; default:\n"+
		"$LOGSTATS_FAILED, else config.ini [slo] failed, else 4xx,5xx)")
	fs.String("slo", "", "the objectives of every customer without its own (PUT /customers/{id}/slo, runner -set-slo),\n"+
		"comma-separated: uptime>=PERCENT (of requests successful) and pNN<=SECONDS (NN % of the timed requests\n"+
		"at most that long), such as 'uptime>=99.9,p99<=0.5' (default: $LOGSTATS_SLO, else config.ini [slo]\n"+
		"default, else none)")
	return &ObjectiveFlags{fs: fs}
}

// Objectives returns the default objectives that the flags, getenv and
// the config file's [slo] section (nil when there is none) say.
func (f *ObjectiveFlags) Objectives(getenv func(string) string, ini map[string]string) ([]logstats.Objective, error) {
	v, from := sectionSetting(f.fs, getenv, "slo", ini, "slo", "LOGSTATS_SLO", "default")
	objectives, err := logstats.ParseObjectives(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	return objectives, nil
}

// Failed returns the classes counted as failed that the flags, getenv and
// the config file's [slo] section (nil when there is none) say.
func (f *ObjectiveFlags) Failed(getenv func(string) string, ini map[string]string) (logstats.FailedStatuses, error) {
	v, from := sectionSetting(f.fs, getenv, "slo", ini, "failed", "LOGSTATS_FAILED", "failed")
	failed, err := logstats.ParseFailedStatuses(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", from, err)
	}
	return failed, nil
}
