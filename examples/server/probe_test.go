package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats/internal/testdb"
)

// The probes of SPEC §17 that need the whole server process: its process
// list entry, its file descriptors, the address it listens on.

// TestProbe_TokensOutOfProcessList checks -admin-token-file and
// -load-token-file: the tokens work, and neither the process list nor the
// server's log shows them.
func TestProbe_TokensOutOfProcessList(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server; skipped with -short")
	}
	bin := buildServer(t)
	dir := t.TempDir()
	const admin, load = "admin-token-from-a-file-0123456789", "load-token-from-a-file"
	os.WriteFile(filepath.Join(dir, "admin"), []byte(admin+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "load"), []byte(load+"\n"), 0o600)
	p := startServerProcess(t, bin, "-dsn", "sqlite://"+filepath.Join(dir, "x.db"), "-log-file", "../../testdata/api_requests.log",
		"-admin-token-file", filepath.Join(dir, "admin"), "-load-token-file", filepath.Join(dir, "load"))
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.cmd.Process.Pid))
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if bytes.Contains(cmdline, []byte(admin)) || bytes.Contains(cmdline, []byte(load)) {
		t.Fatalf("the process list shows a token: %q", cmdline)
	}
	for _, tc := range []struct {
		method, path, token string
		status              int
	}{
		{"POST", "/load", load, 200},
		{"POST", "/load", "", 401},
		{"GET", "/customers/", admin, 200},
		{"GET", "/customers/", "", 401},
		{"GET", "/customers/", load, 403},
	} {
		req, _ := http.NewRequest(tc.method, p.base+tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Fatalf("%s %s with %q: %d, want %d", tc.method, tc.path, tc.token, resp.StatusCode, tc.status)
		}
	}
	if logs := p.stderr.String(); strings.Contains(logs, admin) || strings.Contains(logs, load) || !strings.Contains(logs, "status=401") {
		t.Fatalf("the server's log shows a token, or not the requests:\n%s", logs)
	}
}

// TestProbe_ConnectionFlood is the probe's connection flood: connections
// that send a request's headers and then nothing held every descriptor,
// and /health/ stopped answering. The server runs with 256 descriptors;
// 400 connections from 127.0.0.2 first reach a server without a limit per
// address, which stops answering 127.0.0.1 (what the probe saw), then the
// server with -max-conns-per-ip 64, which closes the ones past it at once
// and goes on answering.
func TestProbe_ConnectionFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server twice; skipped with -short")
	}
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to lower the descriptor limit")
	}
	if c, err := net.Dial("tcp", "127.0.0.2:1"); err == nil {
		c.Close()
	} else if !strings.Contains(err.Error(), "refused") {
		t.Skipf("127.0.0.2 is not a loopback address here: %v", err)
	}
	bin := buildServer(t)
	for _, tc := range []struct {
		name     string
		perIP    string
		answered bool
	}{
		{"NoLimit", "0", false},
		{"Limit", "64", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// A shell lowers the server's descriptor limit, then becomes it.
			wrapper := filepath.Join(dir, "server.sh")
			os.WriteFile(wrapper, []byte("#!/bin/sh\nulimit -n 256 && exec "+bin+" \"$@\"\n"), 0o755)
			p := startServerProcess(t, wrapper, "-dsn", "sqlite://"+filepath.Join(dir, "x.db"), "-max-conns-per-ip", tc.perIP, "-max-conns", "0")
			host := strings.TrimPrefix(p.base, "http://")
			var flood []net.Conn
			t.Cleanup(func() {
				for _, c := range flood {
					c.Close()
				}
			})
			d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 2 * time.Second}
			for range 400 {
				c, err := d.Dial("tcp", host)
				if err != nil {
					continue // the backlog is full: the flood is as big as it gets
				}
				flood = append(flood, c)
				fmt.Fprintf(c, "POST /load?source=flood HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n", host)
			}
			time.Sleep(500 * time.Millisecond)
			client := http.Client{Timeout: 3 * time.Second}
			resp, err := client.Get(p.base + "/health/")
			if err == nil {
				resp.Body.Close()
			}
			if answered := err == nil && resp.StatusCode == 200; answered != tc.answered {
				t.Fatalf("/health/ from 127.0.0.1 during a flood of %d connections from 127.0.0.2 (-max-conns-per-ip %s): answered %v (%v), want %v",
					len(flood), tc.perIP, answered, err, tc.answered)
			}
			if tc.answered {
				// The flood kept 64 connections at most.
				kept := 0
				for _, c := range flood {
					c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
					// Closed by the server: EOF, or a reset (it had unread
					// bytes). Kept: the read times out.
					if _, err := c.Read(make([]byte, 1)); os.IsTimeout(err) {
						kept++
					}
				}
				if kept > 64 {
					t.Fatalf("%d flood connections kept, want 64 at most", kept)
				}
				t.Logf("%d flood connections, %d kept; /health/ answered", len(flood), kept)
			}
		})
	}
}

// TestProbe_OpenReads checks the safe default: a server on a non-loopback
// address without an admin token refuses to start (TestRun_Errors), and
// with -open-reads serves, saying in its log what it does.
func TestProbe_OpenReads(t *testing.T) {
	dir := t.TempDir()
	logs := &testdb.SyncBuffer{}
	base := startServerWith(t, func(string) string { return "" }, logs, "-addr", "0.0.0.0:0", "-open-reads", "-dsn", "sqlite://"+filepath.Join(dir, "x.db"))
	port := base[strings.LastIndexByte(base, ':')+1:]
	if _, err := strconv.Atoi(port); err != nil {
		t.Fatalf("base %q", base)
	}
	resp, err := http.Get("http://127.0.0.1:" + port + "/customers/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/customers/ with -open-reads: %d", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), "anyone who can connect") {
		t.Fatalf("no warning in the log:\n%s", logs)
	}
}

// TestProbe_LoopbackHost checks that the server on its default loopback
// address answers 421 to a Host that is not a loopback name (DNS
// rebinding), unless -allowed-host names it.
func TestProbe_LoopbackHost(t *testing.T) {
	dir := t.TempDir()
	base := startServer(t, func(string) string { return "" }, "-dsn", "sqlite://"+filepath.Join(dir, "x.db"), "-allowed-host", "stats.internal")
	for host, want := range map[string]int{"rebound.example": 421, "localhost": 200, "stats.internal:8000": 200} {
		req, _ := http.NewRequest("GET", base+"/health/", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("Host %s: %d, want %d", host, resp.StatusCode, want)
		}
	}
}
