package runner

import (
	"context"
	"fmt"
	"strings"

	"github.com/logstats/logstats"
)

// runSetSLO does -set-slo CUSTOMER=SPEC: it stores the customer's own
// objectives (SPEC "" for none at all; "default" deletes its own, so that
// the defaults apply again) and prints what the customer's are then.
func runSetSLO(ctx context.Context, cfg Config, env Env) error {
	customer, spec, ok := strings.Cut(cfg.SetSLO, "=")
	switch {
	case !ok || customer == "":
		return fmt.Errorf("-set-slo: want CUSTOMER=OBJECTIVES, such as cust_1=uptime>=99.9,p99<=0.5 (CUSTOMER= for none, CUSTOMER=default for the defaults)")
	case len(cfg.Args) > 0:
		return fmt.Errorf("-set-slo reads no file: drop the FILE arguments")
	}
	var objectives []logstats.Objective
	if spec != "default" {
		var err error
		if objectives, err = logstats.ParseObjectives(spec); err != nil {
			return fmt.Errorf("-set-slo: %w", err)
		}
	}
	svc, closeDB, err := openStats(ctx, env)
	if err != nil {
		return err
	}
	defer closeDB()
	if spec == "default" {
		err = svc.DeleteObjectives(ctx, customer)
	} else {
		err = svc.SetObjectives(ctx, customer, objectives)
	}
	if err != nil {
		return err
	}
	now, own, err := svc.CustomerObjectives(ctx, customer)
	if err != nil {
		return err
	}
	text := logstats.FormatObjectives(now)
	switch {
	case own && text == "":
		fmt.Fprintf(env.Stdout, "%s: no objectives (its own: none)\n", customer)
	case own:
		fmt.Fprintf(env.Stdout, "%s: %s (its own)\n", customer, text)
	default:
		fmt.Fprintf(env.Stdout, "%s: the defaults (-slo) apply: %q\n", customer, text)
	}
	return nil
}
