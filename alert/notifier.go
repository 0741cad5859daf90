// Package alert delivers the events of a logstats.Alerter to a webhook
// (SPEC §15): each POSTed as JSON, signed with HMAC-SHA256, retried with
// backoff until it is delivered or an hour old.
package alert

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logstats/logstats"
)

// Defaults of a Notifier.
const (
	DefaultMaxAge     = time.Hour
	DefaultTimeout    = 10 * time.Second
	DefaultMaxBackoff = 5 * time.Minute
	DefaultFirstRetry = time.Second
	maxDirtyCustomers = 10_000
	eventsPerDelivery = 100
	idleEvaluateAgain = time.Minute
)

// SignatureHeader carries the signature of a webhook's body:
// "sha256=" and the hex HMAC-SHA256 of the body with the secret.
const SignatureHeader = "X-Logstats-Signature"

// EventIDHeader carries the event's id (also in the body), for a
// receiver to drop an event it got twice: delivery is at least once.
const EventIDHeader = "X-Logstats-Event-Id"

// A Notifier evaluates the objectives of the customers whose data
// changed (Changed, which an Ingester's OnCommit calls), queues the
// changes with its Alerter, and delivers them to URL. Run does the work.
type Notifier struct {
	Alerter *logstats.Alerter
	// URL is the webhook, http or https.
	URL string
	// Secret signs each body (SignatureHeader).
	Secret []byte
	// Client sends the webhooks. Default: one with DefaultTimeout.
	Client *http.Client
	// Logger logs failures. Default: discard.
	Logger *slog.Logger
	// MaxAge is how long an event is retried before it is given up
	// (logged and counted as dropped). Default DefaultMaxAge.
	MaxAge time.Duration
	// FirstRetry is the wait after a first failed delivery; it doubles
	// with each failure, up to MaxBackoff. Defaults DefaultFirstRetry
	// and DefaultMaxBackoff.
	FirstRetry, MaxBackoff time.Duration

	mu    sync.Mutex
	dirty map[string]bool
	all   bool // evaluate every customer: too many dirty ones, or the start
	wake  chan struct{}

	delivered, failed, dropped, queued atomic.Int64
}

// Counts are what a Notifier did since it started.
type Counts struct {
	Queued    int64 // events queued by its evaluations
	Delivered int64 // events the webhook accepted (2xx)
	Failed    int64 // deliveries that failed (each try)
	Dropped   int64 // events given up after MaxAge
}

// Counts returns what n did so far.
func (n *Notifier) Counts() Counts {
	return Counts{Queued: n.queued.Load(), Delivered: n.delivered.Load(), Failed: n.failed.Load(), Dropped: n.dropped.Load()}
}

// CheckURL refuses a webhook URL that is not an absolute http or https
// one.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http or https URL, such as https://hooks.example.com/logstats", raw)
	}
	return nil
}

// Changed marks customers whose data changed, to evaluate. It does not
// block; Run evaluates them.
func (n *Notifier) Changed(customers []string) {
	n.mark(customers)
	n.poke()
}

// mark marks customers to evaluate.
func (n *Notifier) mark(customers []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.dirty == nil {
		n.dirty = make(map[string]bool)
	}
	for _, c := range customers {
		if len(n.dirty) >= maxDirtyCustomers {
			n.all = true // evaluated all together, whatever the set
			break
		}
		n.dirty[c] = true
	}
}

func (n *Notifier) poke() {
	select {
	case n.wakeChan() <- struct{}{}:
	default:
	}
}

func (n *Notifier) wakeChan() chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.wake == nil {
		n.wake = make(chan struct{}, 1)
	}
	return n.wake
}

// take returns the customers to evaluate, or all, and forgets them.
func (n *Notifier) take() (customers []string, all bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	all, n.all = n.all, false
	if !all {
		for c := range n.dirty {
			customers = append(customers, c)
		}
	}
	clear(n.dirty)
	return customers, all
}

// Run evaluates every customer once (changes missed while the process was
// down), then, until ctx is done, the customers marked by Changed, and
// delivers the queued events as they fall due, those a previous process
// left first. It returns nil when ctx is done.
func (n *Notifier) Run(ctx context.Context) error {
	n.mu.Lock()
	n.all = true
	n.mu.Unlock()
	wake := n.wakeChan()
	for {
		wait := n.round(ctx)
		if ctx.Err() != nil {
			return nil
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// failed is the wait after a round whose database work failed.
const failed = 5 * time.Second

// round evaluates what is to be, delivers what is due, and returns how
// long to wait before the next round (unless woken).
func (n *Notifier) round(ctx context.Context) time.Duration {
	customers, all := n.take()
	var queued int
	var err error
	if all {
		queued, err = n.Alerter.EvaluateAll(ctx)
	} else if len(customers) > 0 {
		queued, err = n.Alerter.Evaluate(ctx, customers)
	}
	n.queued.Add(int64(queued))
	evaluated := err == nil
	if err != nil && ctx.Err() == nil {
		n.logger().Error("alerts: evaluating the objectives failed; trying again", "err", err)
		// Nothing lost: evaluate again those that failed, or all of them
		// when it is not known which.
		var ee *logstats.EvaluateError
		if errors.As(err, &ee) {
			n.mark(ee.Customers)
		} else {
			n.mu.Lock()
			n.all = n.all || all
			n.mu.Unlock()
			n.mark(customers)
		}
	}
	// The queue is delivered whatever the evaluation did.
	if err := n.deliverDue(ctx); err != nil {
		if ctx.Err() == nil {
			n.logger().Error("alerts: reading the queue failed; trying again", "err", err)
		}
		return failed
	}
	next, ok, err := n.Alerter.NextDue(ctx)
	switch {
	case err != nil, !evaluated:
		return failed
	case !ok:
		return idleEvaluateAgain
	}
	return max(time.Until(next), 10*time.Millisecond)
}

// deliverDue delivers the events that are due, oldest first.
func (n *Notifier) deliverDue(ctx context.Context) error {
	for {
		events, err := n.Alerter.DueEvents(ctx, eventsPerDelivery)
		if err != nil || len(events) == 0 {
			return err
		}
		for _, e := range events {
			if err := n.deliver(ctx, e); err != nil {
				return err
			}
		}
		if len(events) < eventsPerDelivery {
			return nil
		}
	}
}

// deliver sends one event and records the outcome: done, to retry, or
// given up.
func (n *Notifier) deliver(ctx context.Context, e logstats.AlertEvent) error {
	err := n.post(ctx, e)
	switch {
	case err == nil:
		n.delivered.Add(1)
		return n.Alerter.Done(ctx, e.ID)
	case ctx.Err() != nil:
		return ctx.Err()
	}
	n.failed.Add(1)
	maxAge := n.MaxAge
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	if e.Age >= maxAge {
		n.dropped.Add(1)
		n.logger().Error("alerts: giving up an event the webhook did not take", "event_id", e.ID, "customer", e.CustomerID,
			"attempts", e.Attempts+1, "err", err, "body", string(e.Body))
		return n.Alerter.Done(ctx, e.ID)
	}
	n.logger().Warn("alerts: delivery failed; trying again", "event_id", e.ID, "attempts", e.Attempts+1, "err", err)
	return n.Alerter.Retry(ctx, e.ID, n.backoff(e.Attempts))
}

// backoff is the wait after the failure of a delivery tried attempts
// times before.
func (n *Notifier) backoff(attempts int) time.Duration {
	wait, most := n.FirstRetry, n.MaxBackoff
	if wait <= 0 {
		wait = DefaultFirstRetry
	}
	if most <= 0 {
		most = DefaultMaxBackoff
	}
	for range min(attempts, 30) {
		if wait *= 2; wait >= most {
			return most
		}
	}
	return min(wait, most)
}

// post sends e to the webhook; an answer other than 2xx is an error.
func (n *Notifier) post(ctx context.Context, e logstats.AlertEvent) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, bytes.NewReader(e.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(n.Secret, e.Body))
	req.Header.Set(EventIDHeader, e.ID)
	client := n.Client
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return errors.New("the webhook answered " + resp.Status)
	}
	return nil
}

// Sign returns the SignatureHeader of body: "sha256=" and the hex
// HMAC-SHA256 of body with secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func (n *Notifier) logger() *slog.Logger {
	if n.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return n.Logger
}
