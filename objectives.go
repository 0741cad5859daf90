package logstats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// maxObjectivesBytes bounds the objectives of a customer as stored.
const maxObjectivesBytes = 1024

// CustomerObjectives returns the objectives of customerID: its own, set
// by SetObjectives (own is then true, and none at all is an empty list),
// else the service's Objectives.
func (s *StatsService) CustomerObjectives(ctx context.Context, customerID string) (objectives []Objective, own bool, err error) {
	objectives, own, err = s.customerObjectives(ctx, customerID)
	return objectives, own, classify(s.Driver, err)
}

func (s *StatsService) customerObjectives(ctx context.Context, customerID string) ([]Objective, bool, error) {
	if err := ValidCustomerID(customerID); err != nil {
		return nil, false, err
	}
	var text string
	err := s.db.QueryRowContext(ctx, `SELECT objectives FROM logstats_objectives WHERE customer_id = ?`, customerID).Scan(&text)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return s.Objectives, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("objectives of %s: %w", customerID, err)
	}
	objectives, err := ParseObjectives(text)
	if err != nil {
		return nil, false, fmt.Errorf("%w: the stored objectives of %s: %v", ErrCorruptRollup, customerID, err)
	}
	return objectives, true, nil
}

// allObjectives returns every customer's own objectives.
func (s *StatsService) allObjectives(ctx context.Context) (map[string][]Objective, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT customer_id, objectives FROM logstats_objectives`)
	if err != nil {
		return nil, fmt.Errorf("objectives: %w", err)
	}
	defer rows.Close()
	out := make(map[string][]Objective)
	for rows.Next() {
		var id, text string
		if err := rows.Scan(&id, &text); err != nil {
			return nil, fmt.Errorf("objectives: %w", err)
		}
		if out[id], err = ParseObjectives(text); err != nil {
			return nil, fmt.Errorf("%w: the stored objectives of %s: %v", ErrCorruptRollup, id, err)
		}
	}
	return out, rows.Err()
}

// SetObjectives stores customerID's own objectives, which replace the
// service's Objectives for it; an empty list means none at all.
func (s *StatsService) SetObjectives(ctx context.Context, customerID string, objectives []Objective) error {
	return classify(s.Driver, s.setObjectives(ctx, customerID, objectives))
}

func (s *StatsService) setObjectives(ctx context.Context, customerID string, objectives []Objective) error {
	if err := ValidCustomerID(customerID); err != nil {
		return err
	}
	text := FormatObjectives(objectives)
	if len(objectives) > MaxObjectives || len(text) > maxObjectivesBytes {
		return fmt.Errorf("%w: %d objectives (%d bytes), more than the limit of %d", ErrInvalidObjective, len(objectives), len(text), MaxObjectives)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set objectives: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM logstats_objectives WHERE customer_id = ?`, customerID); err != nil {
		return fmt.Errorf("set objectives: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO logstats_objectives (customer_id, objectives, updated_us) VALUES (?, ?, ?)`,
		customerID, text, time.Now().UnixMicro()); err != nil {
		return fmt.Errorf("set objectives: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("set objectives: %w", err)
	}
	s.dropCache()
	return nil
}

// DeleteObjectives deletes customerID's own objectives: the service's
// Objectives apply to it again. Deleting none is no error.
func (s *StatsService) DeleteObjectives(ctx context.Context, customerID string) error {
	if err := ValidCustomerID(customerID); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM logstats_objectives WHERE customer_id = ?`, customerID); err != nil {
		return classify(s.Driver, fmt.Errorf("delete objectives: %w", err))
	}
	s.dropCache()
	return nil
}
