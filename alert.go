package logstats

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/logstats/logstats/internal/jsonstr"
)

// DefaultAlertWindow is how many days an Alerter evaluates objectives
// over, ending at each customer's newest day with data.
const DefaultAlertWindow = 30

// An Alerter keeps, in the database, the state of each customer's
// objectives (met or not) over its window, and queues an event each time
// one changes (SPEC §15): "breached" from met to not met, "recovered" the
// other way. The state and the event are written in one transaction, so
// an event is never lost; a deliverer (package alert) takes the events
// from the queue and deletes each once delivered. It is safe for
// concurrent use, but one process should evaluate at a time.
type Alerter struct {
	// Stats evaluates the objectives: its Objectives (the defaults) and
	// Failed apply. Give it no cache (CacheFor 0), or an evaluation right
	// after a commit may read the numbers from before it.
	Stats *StatsService
	// Window is how many days the objectives are evaluated over, ending
	// at the customer's newest day with data. Default DefaultAlertWindow.
	Window int
	// Now returns the current time. Default time.Now.
	Now func() time.Time

	db *sql.DB
}

// NewAlerter returns an Alerter over db that evaluates with stats.
func NewAlerter(db *sql.DB, stats *StatsService) *Alerter {
	return &Alerter{Stats: stats, db: db, Window: DefaultAlertWindow, Now: time.Now}
}

// An AlertEvent is an event of the queue: its id, customer and JSON body
// (what the webhook receives), how many deliveries failed, and how long
// ago it was queued (by the Alerter's clock).
type AlertEvent struct {
	ID, CustomerID string
	Body           []byte
	Attempts       int
	Age            time.Duration
}

// An EvaluateError lists the customers whose objectives could not be
// evaluated, and why; the others were.
type EvaluateError struct {
	Customers []string
	Err       error // the customers' errors, joined
}

func (e *EvaluateError) Error() string {
	return fmt.Sprintf("the objectives of %d customers could not be evaluated: %v", len(e.Customers), e.Err)
}

func (e *EvaluateError) Unwrap() error { return e.Err }

// Evaluate evaluates the objectives of each customer over its window and
// records their changes, queueing an event for each; it returns how many
// it queued. A customer without data is skipped; an objective seen for
// the first time counts as met before. A customer that fails does not
// stop the others: the error is then an *EvaluateError naming those that
// failed, unless ctx is done.
func (a *Alerter) Evaluate(ctx context.Context, customers []string) (int, error) {
	queued := 0
	var failed []string
	var errs []error
	for _, c := range customers {
		n, err := a.evaluate(ctx, c)
		if ctx.Err() != nil {
			return queued, ctx.Err()
		}
		if err != nil {
			failed = append(failed, c)
			errs = append(errs, classify(a.Stats.Driver, fmt.Errorf("evaluate the objectives of %s: %w", c, err)))
		}
		queued += n
	}
	if len(failed) > 0 {
		return queued, &EvaluateError{Customers: failed, Err: errors.Join(errs...)}
	}
	return queued, nil
}

// EvaluateAll is Evaluate of every customer with data, at most MaxFleetLimit
// at a time.
func (a *Alerter) EvaluateAll(ctx context.Context) (int, error) {
	queued := 0
	f := CustomerFilter{Limit: MaxFleetLimit}
	failed := &EvaluateError{}
	for {
		page, err := a.Stats.FindCustomers(ctx, f)
		if err != nil {
			return queued, err
		}
		ids := make([]string, len(page))
		for i, c := range page {
			ids[i] = c.ID
		}
		n, err := a.Evaluate(ctx, ids)
		queued += n
		var ee *EvaluateError
		switch {
		case errors.As(err, &ee):
			failed.Customers = append(failed.Customers, ee.Customers...)
			failed.Err = errors.Join(failed.Err, ee.Err)
		case err != nil:
			return queued, err
		}
		if len(page) < f.Limit {
			break
		}
		f.After = &ids[len(ids)-1]
	}
	if len(failed.Customers) > 0 {
		return queued, failed
	}
	return queued, nil
}

func (a *Alerter) window() int {
	if a.Window <= 0 {
		return DefaultAlertWindow
	}
	return a.Window
}

func (a *Alerter) now() time.Time {
	if a.Now == nil {
		return time.Now()
	}
	return a.Now()
}

// evaluate is Evaluate of one customer.
func (a *Alerter) evaluate(ctx context.Context, customer string) (int, error) {
	list, err := a.Stats.FindCustomers(ctx, CustomerFilter{ID: &customer})
	if err != nil || len(list) == 0 {
		return 0, err
	}
	to := list[0].LastDay
	from := to.AddDays(1 - a.window())
	st, err := a.Stats.FindStats(ctx, customer, StatsFilter{From: from, To: &to})
	if err != nil {
		return 0, err
	}
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT objective, met FROM logstats_objective_states WHERE customer_id = ?`, customer)
	if err != nil {
		return 0, err
	}
	before := map[string]bool{}
	for rows.Next() {
		var objective string
		var met int
		if err := rows.Scan(&objective, &met); err != nil {
			rows.Close()
			return 0, err
		}
		before[objective] = met != 0
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	now := a.now()
	queued := 0
	for _, o := range st.Objectives {
		key := o.Objective.String()
		was, known := before[key]
		delete(before, key)
		if known && was == o.Met || !known && o.Met {
			if !known {
				if err := setState(ctx, tx, customer, key, o.Met, now); err != nil {
					return 0, err
				}
			}
			continue
		}
		if err := setState(ctx, tx, customer, key, o.Met, now); err != nil {
			return 0, err
		}
		if err := queueEvent(ctx, tx, customer, from, to, o, now); err != nil {
			return 0, err
		}
		queued++
	}
	for gone := range before { // objectives the customer no longer has
		if _, err := tx.ExecContext(ctx, `DELETE FROM logstats_objective_states WHERE customer_id = ? AND objective = ?`, customer, gone); err != nil {
			return 0, err
		}
	}
	return queued, tx.Commit()
}

// setState records whether an objective of a customer is met.
func setState(ctx context.Context, tx *sql.Tx, customer, objective string, met bool, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM logstats_objective_states WHERE customer_id = ? AND objective = ?`, customer, objective); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO logstats_objective_states (customer_id, objective, met, updated_us) VALUES (?, ?, ?, ?)`,
		customer, objective, b2i(met), now.UnixMicro())
	return err
}

// queueEvent queues the event of o's change.
func queueEvent(ctx context.Context, tx *sql.Tx, customer string, from, to Date, o ObjectiveStatus, now time.Time) error {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return err
	}
	eventID := hex.EncodeToString(id[:])
	_, err := tx.ExecContext(ctx, `INSERT INTO logstats_alert_outbox (event_id, customer_id, body, created_us, attempts, next_us) VALUES (?, ?, ?, ?, 0, ?)`,
		eventID, customer, eventBody(eventID, customer, from, to, o), now.UnixMicro(), now.UnixMicro())
	return err
}

// eventBody is the JSON the webhook receives:
//
//	{"event": "breached" or "recovered", "event_id": ..., "customer_id": ..., "objective": "uptime>=99.9",
//	 "window": {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}, "actual": 99.5 or null, "target": 99.9,
//	 "budget": {"allowed": 175, "spent": 180, "remaining": -0.029 or null}}
func eventBody(eventID, customer string, from, to Date, o ObjectiveStatus) []byte {
	event := "recovered"
	if !o.Met {
		event = "breached"
	}
	b := []byte(`{"event":"` + event + `","event_id":"` + eventID + `","customer_id":`)
	b = jsonstr.Append(b, customer)
	b = append(b, `,"objective":"`+o.Objective.String()+`","window":{"from":"`+from.String()+`","to":"`+to.String()+`"},"actual":`...)
	b = o.AppendActual(b)
	b = append(b, `,"target":`+o.Objective.TargetText()+`,"budget":`...)
	b = o.AppendBudget(b)
	return append(b, '}')
}

// DueEvents returns the queued events whose next try is due, oldest
// first, at most limit.
func (a *Alerter) DueEvents(ctx context.Context, limit int) ([]AlertEvent, error) {
	now := a.now()
	rows, err := a.db.QueryContext(ctx, `SELECT event_id, customer_id, body, attempts, created_us FROM logstats_alert_outbox
		WHERE next_us <= ? ORDER BY created_us, event_id LIMIT ?`, now.UnixMicro(), limit)
	if err != nil {
		return nil, classify(a.Stats.Driver, fmt.Errorf("due alert events: %w", err))
	}
	defer rows.Close()
	var out []AlertEvent
	for rows.Next() {
		var e AlertEvent
		var created int64
		if err := rows.Scan(&e.ID, &e.CustomerID, &e.Body, &e.Attempts, &created); err != nil {
			return nil, classify(a.Stats.Driver, fmt.Errorf("due alert events: %w", err))
		}
		e.Age = now.Sub(time.UnixMicro(created))
		out = append(out, e)
	}
	return out, classify(a.Stats.Driver, rows.Err())
}

// NextDue returns when the next queued event is due; false when none is
// queued.
func (a *Alerter) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	if err := a.db.QueryRowContext(ctx, `SELECT MIN(next_us) FROM logstats_alert_outbox`).Scan(&next); err != nil {
		return time.Time{}, false, classify(a.Stats.Driver, fmt.Errorf("next alert event: %w", err))
	}
	return time.UnixMicro(next.Int64), next.Valid, nil
}

// Done removes a delivered event (or one given up on) from the queue.
func (a *Alerter) Done(ctx context.Context, eventID string) error {
	_, err := a.db.ExecContext(ctx, `DELETE FROM logstats_alert_outbox WHERE event_id = ?`, eventID)
	return classify(a.Stats.Driver, err)
}

// Retry records a failed delivery of an event, to try again after wait.
func (a *Alerter) Retry(ctx context.Context, eventID string, wait time.Duration) error {
	_, err := a.db.ExecContext(ctx, `UPDATE logstats_alert_outbox SET attempts = attempts + 1, next_us = ? WHERE event_id = ?`, a.now().Add(wait).UnixMicro(), eventID)
	return classify(a.Stats.Driver, err)
}
