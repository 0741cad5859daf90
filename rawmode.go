package logstats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
)

// A RawMode is how a database keeps its raw requests (SPEC §10). It is
// chosen when the first load records one, and recorded in the database
// (table logstats_settings), like the day zone: later processes need not
// name it, and one that names another is refused.
type RawMode string

// The raw modes.
const (
	// RawBlocks keeps the requests of each customer, day and source that a
	// batch commits in blocks of a compact columnar encoding
	// (docs/BLOCKS.md), one SQL row a block: the default of a new database.
	RawBlocks RawMode = "blocks"
	// RawRows keeps one SQL row a request, for those who query raw requests
	// with SQL. A database created before blocks existed keeps rows.
	RawRows RawMode = "rows"
	// RawNone keeps no raw requests, only the rollups and the ledger: the
	// fastest loads, and nothing to export, break down or forget.
	RawNone RawMode = "none"
)

// rawModes lists the raw modes, the default first.
var rawModes = [...]RawMode{RawBlocks, RawRows, RawNone}

// ParseRawMode returns the raw mode named s: "blocks", "rows" or "none".
func ParseRawMode(s string) (RawMode, error) {
	for _, m := range rawModes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("%w: %q; use blocks (the default), rows or none", ErrInvalidRawMode, s)
}

// RawModeOf returns the raw mode db records, and whether it records one
// (a database that recorded none yet takes RawBlocks at its first load, or
// the mode SetRawMode records).
func RawModeOf(ctx context.Context, db *sql.DB) (RawMode, bool, error) {
	m, ok, err := recordedRawMode(ctx, db)
	return m, ok, classify(driverOf(db), err)
}

// SetRawMode records mode as db's raw mode unless one is recorded: then it
// fails with a *RawModeError, naming the recorded mode, if it is another.
// Raw requests kept one way cannot be read another. Call it after Migrate;
// an Ingester whose Raw field is set does the same at its first load.
func SetRawMode(ctx context.Context, db *sql.DB, mode RawMode) error {
	d, err := DetectDialect(db)
	if err != nil {
		return err
	}
	_, err = recordRawMode(ctx, db, d, mode)
	return classify(driverOf(db), err)
}

// A RawModeError is a raw mode other than the one a database keeps its raw
// requests in: errors.Is(err, ErrRawModeChanged) holds for it.
type RawModeError struct {
	Recorded RawMode // the database's raw mode
	Mode     RawMode // the mode asked for
}

func (e *RawModeError) Error() string {
	return fmt.Sprintf("%v: this database keeps its raw requests as %s, not %s, as recorded when it was first loaded: requests kept one way cannot be read another",
		ErrRawModeChanged, e.Recorded, e.Mode)
}

// Unwrap returns ErrRawModeChanged.
func (e *RawModeError) Unwrap() error { return ErrRawModeChanged }

// recordedRawMode returns db's raw mode and whether one is recorded.
func recordedRawMode(ctx context.Context, db *sql.DB) (RawMode, bool, error) {
	var name string
	err := db.QueryRowContext(ctx, `SELECT value FROM logstats_settings WHERE name = 'raw_mode'`).Scan(&name)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return RawBlocks, false, nil
	case err != nil:
		return "", false, fmt.Errorf("read the raw mode (has Migrate run?): %w", err)
	}
	m, err := ParseRawMode(name)
	if err != nil {
		return "", false, fmt.Errorf("the database's raw mode: %w", err)
	}
	return m, true, nil
}

// recordRawMode returns db's raw mode, after recording mode ("": RawBlocks)
// if none is; a mode other than the recorded one is a *RawModeError
// (mode "" accepts any).
func recordRawMode(ctx context.Context, db *sql.DB, d Dialect, mode RawMode) (RawMode, error) {
	if mode != "" {
		if _, err := ParseRawMode(string(mode)); err != nil {
			return "", err
		}
	}
	recorded, ok, err := recordedRawMode(ctx, db)
	if err != nil {
		return "", err
	}
	if !ok {
		want := mode
		if want == "" {
			want = RawBlocks
		}
		if _, err := db.ExecContext(ctx, d.insertIgnore("logstats_settings", "name, value", "(?, ?)"), "raw_mode", string(want)); err != nil {
			return "", fmt.Errorf("record the raw mode: %w", err)
		}
		// Another process may have recorded one first.
		if recorded, _, err = recordedRawMode(ctx, db); err != nil {
			return "", err
		}
	}
	if mode != "" && recorded != mode {
		return "", &RawModeError{Recorded: recorded, Mode: mode}
	}
	return recorded, nil
}

// rawModeCache holds a database's raw mode once it is recorded: it never
// changes then.
type rawModeCache struct{ mode atomic.Pointer[RawMode] }

// get returns db's raw mode, recording mode if none is (see recordRawMode).
func (c *rawModeCache) get(ctx context.Context, db *sql.DB, d Dialect, mode RawMode) (RawMode, error) {
	if m := c.mode.Load(); m != nil {
		if mode != "" && *m != mode {
			return "", &RawModeError{Recorded: *m, Mode: mode}
		}
		return *m, nil
	}
	m, err := recordRawMode(ctx, db, d, mode)
	if err != nil {
		return "", err
	}
	c.mode.Store(&m)
	return m, nil
}
