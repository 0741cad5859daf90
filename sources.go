package logstats

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// A Source is a loaded log, as the ledger records it (see FindSources).
type Source struct {
	ID   int64  `json:"id,string"` // a string in JSON: JavaScript's numbers hold 53 bits
	Name string `json:"name"`      // the name it was last loaded under
	// Format, Customer and CustomerDefault are how its lines were read:
	// the format, the customer selector ("" for the format's own) and
	// the default customer.
	Format          string `json:"format"`
	Customer        string `json:"customer"`
	CustomerDefault string `json:"customer_default"`
	// Dimensions are the dimensions kept with its requests, each as
	// NAME=SELECTOR, in the order they are stored.
	Dimensions []string `json:"dimensions"`
	// Lines is how many of its lines are committed.
	Lines int64 `json:"lines"`
	// Requests is how many raw requests of it the database holds, and
	// Pruned how many Prune (or a Forget that stopped) removed.
	Requests int64 `json:"requests"`
	Pruned   int64 `json:"pruned_requests"`
	// FirstDay and LastDay are the days of its first and last requests
	// held, in the database's day zone; nil when it holds none.
	FirstDay *Date `json:"first_day"`
	LastDay  *Date `json:"last_day"`
	// Created is when its first lines were committed.
	Created time.Time `json:"created"`
	// Forgetting says that a Forget of it started and has not finished.
	Forgetting bool `json:"forgetting"`
}

// FindSources returns the sources of the ledger, by name then id. It
// reads every raw request (raw mode rows) or block's row (blocks) once,
// for their days and counts per source, so it is an operator's command,
// not a query to serve often. Under raw mode none, no source holds a
// request.
func (ing *Ingester) FindSources(ctx context.Context) ([]Source, error) {
	sources, err := findSources(ctx, ing.db)
	return sources, classify(ing.Driver, err)
}

func findSources(ctx context.Context, db *sql.DB) ([]Source, error) {
	rows, err := db.QueryContext(ctx, `SELECT s.source_id, s.name, s.committed_offset, s.committed_lines, s.pruned_requests, s.created_us,
			f.format, f.customer, f.customer_default, f.dimensions
		FROM logstats_sources s LEFT JOIN logstats_source_formats f ON f.source_id = s.source_id
		ORDER BY s.name, s.source_id`)
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	defer rows.Close()
	sources := []Source{}
	byID := make(map[int64]*Source)
	for rows.Next() {
		var s Source
		var offset, created int64
		var format, customer, customerDefault, dims sql.NullString
		if err := rows.Scan(&s.ID, &s.Name, &offset, &s.Lines, &s.Pruned, &created, &format, &customer, &customerDefault, &dims); err != nil {
			return nil, fmt.Errorf("sources: %w", err)
		}
		r := legacyReading
		if format.Valid {
			r = sourceReading{format.String, customer.String, customerDefault.String, dims.String}
		}
		s.Format, s.Customer, s.CustomerDefault = r.format, r.customer, r.customerDefault
		s.Dimensions = append([]string{}, dimensionItems(r.dimensions)...) // [] in JSON, not null
		s.Created, s.Forgetting = time.UnixMicro(created).UTC(), offset < 0
		sources = append(sources, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	rows.Close()
	for i := range sources {
		byID[sources[i].ID] = &sources[i]
	}
	store, err := openRawStore(ctx, db, DialectUnknown)
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	err = store.heldBySource(ctx, func(id, n int64, first, last Date) {
		if s := byID[id]; s != nil {
			s.Requests, s.FirstDay, s.LastDay = n, &first, &last
		}
	})
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	return sources, nil
}
