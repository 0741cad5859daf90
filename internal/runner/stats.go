package runner

import (
	"context"
	"fmt"

	"github.com/logstats/logstats"
)

// ascending reports whether -order asks for the smallest first.
func (cfg *Config) ascending() (bool, error) {
	switch cfg.Order {
	case "", "desc":
		return false, nil
	case "asc":
		return true, nil
	}
	return false, fmt.Errorf("-order: %q is neither asc nor desc", cfg.Order)
}

// openStats opens the database and returns a StatsService of it, with the
// routes, the failed statuses and the default objectives of env, and the
// function that closes the database.
func openStats(ctx context.Context, env Env) (*logstats.StatsService, func() error, error) {
	var routes *logstats.Routes
	var failed logstats.FailedStatuses
	var err error
	if env.Routes != nil {
		if routes, err = env.Routes(); err != nil {
			return nil, nil, err
		}
	}
	if env.Failed != nil {
		if failed, err = env.Failed(); err != nil {
			return nil, nil, err
		}
	}
	var objectives []logstats.Objective
	if env.Objectives != nil {
		if objectives, err = env.Objectives(); err != nil {
			return nil, nil, err
		}
	}
	db, err := env.OpenDB(ctx)
	if err != nil {
		return nil, nil, err
	}
	svc := logstats.NewStatsService(db)
	svc.Routes, svc.Failed, svc.Objectives = routes, failed, objectives
	return svc, db.Close, nil
}
