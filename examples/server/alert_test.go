package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/logstats/logstats/alert"
)

// webhook is the receiver of the alert test: it refuses every event
// while down, and keeps those it accepts.
type webhook struct {
	mu       sync.Mutex
	down     bool
	refused  []string // event ids
	accepted []map[string]any
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.Header.Get(alert.SignatureHeader) != alert.Sign([]byte(alertSecret), body) {
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	if h.down {
		h.refused = append(h.refused, r.Header.Get(alert.EventIDHeader))
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	var v map[string]any
	json.Unmarshal(body, &v)
	h.accepted = append(h.accepted, v)
}

func (h *webhook) counts() (refused, accepted int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.refused), len(h.accepted)
}

const alertSecret = "alert-secret-for-the-tests"

// TestAlerts_KillBetweenCommitAndDelivery: a server evaluates a breached
// objective and queues its event, but the webhook is down; killed with
// SIGKILL before any delivery, the next server delivers the event, once
// and signed; a third one sends nothing again. /metrics counts it.
func TestAlerts_KillBetweenCommitAndDelivery(t *testing.T) {
	bin := buildServer(t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "breach.log")
	var b strings.Builder
	for i := range 20 {
		status := "200"
		if i < 5 {
			status = "503"
		}
		b.WriteString("2024-10-01 10:00:00 acme /v1/x " + status + " 0.100\n")
	}
	if err := os.WriteFile(logPath, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	hook := &webhook{down: true}
	srv := httptest.NewServer(hook)
	defer srv.Close()
	args := []string{"-dsn", "sqlite://" + filepath.Join(dir, "db.sqlite"), "-slo", "uptime>=90", "-alert-webhook", srv.URL, "-alert-secret", alertSecret}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}

	first := startServerProcess(t, bin, append(args, "-load", logPath)...)
	waitFor("a refused delivery", func() bool { r, _ := hook.counts(); return r > 0 })
	first.cmd.Process.Signal(syscall.SIGKILL)
	first.cmd.Wait()
	hook.mu.Lock()
	hook.down = false
	refusedID := hook.refused[0]
	hook.mu.Unlock()

	second := startServerProcess(t, bin, args...)
	waitFor("the delivery", func() bool { _, a := hook.counts(); return a > 0 })
	time.Sleep(1500 * time.Millisecond) // time for a duplicate, were there one
	if _, a := hook.counts(); a != 1 {
		t.Fatalf("%d events delivered, want 1: %v", a, hook.accepted)
	}
	e := hook.accepted[0]
	if e["event"] != "breached" || e["customer_id"] != "acme" || e["event_id"] != refusedID || e["actual"] != 75.0 {
		t.Fatalf("delivered %v, want the breach of acme queued by the first server (event %s)", e, refusedID)
	}
	resp, err := http.Get(second.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `logstats_alert_events_total{outcome="delivered"} 1`) {
		t.Fatalf("/metrics lacks the delivery:\n%s", metrics)
	}
	second.cmd.Process.Signal(syscall.SIGTERM)
	second.cmd.Wait()

	startServerProcess(t, bin, args...)
	time.Sleep(1500 * time.Millisecond)
	if _, a := hook.counts(); a != 1 {
		t.Fatalf("a third server delivered again: %d events", a)
	}
}
