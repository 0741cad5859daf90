package logstats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// The day zone is the time zone in which a database cuts requests into days:
// a rollup, a stats range's from and to, and a daily row are days in it. A
// day of a daylight-saving change has 23 or 25 hours. It is recorded in the
// database (table logstats_settings), so that every process cuts the same
// days; a database that records none cuts UTC days.

// DayZone returns db's day zone: the one SetDayZone recorded, else time.UTC.
func DayZone(ctx context.Context, db *sql.DB) (*time.Location, error) {
	loc, _, err := recordedDayZone(ctx, db)
	return loc, classify(driverOf(db), err)
}

// SetDayZone records loc as db's day zone. It can be chosen while db holds
// no data; after that, only the zone recorded (UTC when none was) is
// accepted, and another one fails with ErrDayZoneChanged, naming the
// recorded one: days already cut cannot be cut again. Call it after Migrate,
// before loading.
func SetDayZone(ctx context.Context, db *sql.DB, loc *time.Location) error {
	return classify(driverOf(db), setDayZone(ctx, db, loc))
}

func setDayZone(ctx context.Context, db *sql.DB, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	name := loc.String()
	if name == "Local" {
		return fmt.Errorf("%w: the zone Local depends on the machine; name the zone (an IANA name such as Europe/Paris)", ErrInvalidDayZone)
	}
	recorded, ok, err := recordedDayZone(ctx, db)
	if err != nil {
		return err
	}
	if ok || hasData(ctx, db) {
		if recorded.String() != name {
			return &DayZoneError{Recorded: recorded, Zone: loc}
		}
		if ok {
			return nil
		}
	}
	d, err := DetectDialect(db)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, d.insertIgnore("logstats_settings", "name, value", "(?, ?)"), "day_zone", name); err != nil {
		return fmt.Errorf("record the day zone: %w", err)
	}
	// Another process may have recorded one first.
	if recorded, _, err = recordedDayZone(ctx, db); err != nil {
		return err
	}
	if recorded.String() != name {
		return &DayZoneError{Recorded: recorded, Zone: loc, Concurrent: true}
	}
	return nil
}

// A DayZoneError is a day zone other than the one a database cuts its days
// in (SetDayZone's): errors.Is(err, ErrDayZoneChanged) holds for it.
type DayZoneError struct {
	Recorded *time.Location // the database's day zone
	Zone     *time.Location // the zone asked for
	// Concurrent says that another process recorded Recorded just now,
	// while this one was recording Zone.
	Concurrent bool
}

func (e *DayZoneError) Error() string {
	when := "recorded when it was created: days already cut cannot be cut again"
	if e.Concurrent {
		when = "recorded by another process just now"
	}
	return fmt.Sprintf("%v: this database cuts its days in %s, not %s, %s", ErrDayZoneChanged, e.Recorded, e.Zone, when)
}

// Unwrap returns ErrDayZoneChanged.
func (e *DayZoneError) Unwrap() error { return ErrDayZoneChanged }

// recordedDayZone returns db's day zone and whether one is recorded.
func recordedDayZone(ctx context.Context, db *sql.DB) (*time.Location, bool, error) {
	var name string
	err := db.QueryRowContext(ctx, `SELECT value FROM logstats_settings WHERE name = 'day_zone'`).Scan(&name)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.UTC, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("read the day zone: %w", err)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false, fmt.Errorf("%w: the database's day zone %q is not known on this machine (is its time zone database installed?): %v", ErrInvalidDayZone, name, err)
	}
	return loc, true, nil
}

// hasData reports whether any source was loaded into db.
func hasData(ctx context.Context, db *sql.DB) bool {
	var n int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM logstats_sources LIMIT 1) s`).Scan(&n)
	return err == nil && n > 0
}

// dayZoneCache holds a database's day zone once it can no longer change.
type dayZoneCache struct{ loc atomic.Pointer[time.Location] }

// get returns db's day zone, from the cache once it is final: recorded, or
// UTC for a database that holds data without recording one (SetDayZone
// accepts no other then).
func (c *dayZoneCache) get(ctx context.Context, db *sql.DB) (*time.Location, error) {
	if loc := c.loc.Load(); loc != nil {
		return loc, nil
	}
	loc, ok, err := recordedDayZone(ctx, db)
	if err != nil {
		return nil, err
	}
	if ok || hasData(ctx, db) {
		c.loc.Store(loc)
	}
	return loc, nil
}
