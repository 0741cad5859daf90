package alert_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/alert"
	"github.com/logstats/logstats/internal/testdb"
)

// receiver is a webhook in the test: it checks each signature, fails the
// first failures requests with a 503, and keeps the events it accepted.
type receiver struct {
	t        *testing.T
	secret   []byte
	mu       sync.Mutex
	failures int
	tries    int
	events   []map[string]any
	got      chan struct{}
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if sig := req.Header.Get(alert.SignatureHeader); sig != alert.Sign(r.secret, body) {
		r.t.Errorf("signature %q of %s, want %q", sig, body, alert.Sign(r.secret, body))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tries++; r.tries <= r.failures {
		http.Error(w, "not now", http.StatusServiceUnavailable)
		return
	}
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil || req.Header.Get(alert.EventIDHeader) != v["event_id"] {
		r.t.Errorf("body %s (%v), event id header %q", body, err, req.Header.Get(alert.EventIDHeader))
	}
	r.events = append(r.events, v)
	r.got <- struct{}{}
}

// TestNotifier: loads that breach and then recover an objective send one
// signed event each, through a webhook that fails its first tries;
// /metrics' counts follow. The signature is the HMAC-SHA256 of the body.
func TestNotifier(t *testing.T) {
	if got := alert.Sign([]byte("key"), []byte("The quick brown fox jumps over the lazy dog")); got != "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8" {
		t.Fatalf("Sign = %s, want the HMAC-SHA256 test vector", got)
	}
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		rec := &receiver{t: t, secret: []byte("0123456789abcdef"), failures: 2, got: make(chan struct{}, 10)}
		srv := httptest.NewServer(rec)
		defer srv.Close()
		stats := logstats.NewStatsService(db.DB)
		stats.Objectives = []logstats.Objective{testdb.Objective(t, "uptime>=90")}
		n := &alert.Notifier{Alerter: logstats.NewAlerter(db.DB, stats), URL: srv.URL, Secret: rec.secret, FirstRetry: 20 * time.Millisecond}
		ing := logstats.NewIngester(db.DB)
		ing.Dialect = db.Dialect
		ing.OnCommit = n.Changed
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- n.Run(ctx) }()
		defer func() { cancel(); <-done }()

		load := func(name, text string) {
			t.Helper()
			if _, err := ing.Load(ctx, name, strings.NewReader(text), logstats.LoadOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		wait := func(event string) {
			t.Helper()
			select {
			case <-rec.got:
			case <-time.After(20 * time.Second):
				t.Fatalf("no %s event delivered", event)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if e := rec.events[len(rec.events)-1]; e["event"] != event || e["customer_id"] != "acme" || e["objective"] != "uptime>=90" {
				t.Fatalf("delivered %v, want %s of acme", e, event)
			}
		}
		load("1.log", testdb.StatusLog("acme", "2024-10-01", 10, 5)) // 50 %: breached
		wait("breached")
		load("2.log", testdb.StatusLog("acme", "2024-10-02", 200, 0)) // 205 of 210: recovered
		wait("recovered")
		select {
		case <-rec.got:
			t.Fatalf("a third event: %v", rec.events)
		case <-time.After(300 * time.Millisecond):
		}
		if c := n.Counts(); c.Queued != 2 || c.Delivered != 2 || c.Failed != 2 || c.Dropped != 0 {
			t.Fatalf("counts %+v, want 2 queued, 2 delivered, 2 failed tries", c)
		}
	})
}

// TestNotifier_GivesUp: an event the webhook refuses for longer than
// MaxAge is dropped, logged and counted, and the queue is empty.
func TestNotifier_GivesUp(t *testing.T) {
	db := testdb.Open(t, logstats.DialectSQLite)
	rec := &receiver{t: t, secret: []byte("s"), failures: 1 << 30, got: make(chan struct{}, 1)}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	stats := logstats.NewStatsService(db.DB)
	stats.Objectives = []logstats.Objective{testdb.Objective(t, "uptime>=90")}
	alerter := logstats.NewAlerter(db.DB, stats)
	n := &alert.Notifier{Alerter: alerter, URL: srv.URL, Secret: rec.secret, FirstRetry: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, MaxAge: 200 * time.Millisecond}
	ing := logstats.NewIngester(db.DB)
	if _, err := ing.Load(context.Background(), "1.log", strings.NewReader(testdb.StatusLog("acme", "2024-10-01", 10, 9)), logstats.LoadOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	for n.Counts().Dropped == 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if c := n.Counts(); c.Queued != 1 || c.Dropped != 1 || c.Delivered != 0 || c.Failed < 2 {
		t.Fatalf("counts %+v, want 1 queued, then dropped after failed tries", c)
	}
	if _, ok, err := alerter.NextDue(context.Background()); err != nil || ok {
		t.Fatalf("the queue after giving up: %v, %v; want empty", ok, err)
	}
}
