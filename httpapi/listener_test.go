package httpapi_test

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/logstats/logstats/httpapi"
)

// dialFrom connects to addr from the local address ip.
func dialFrom(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", ip, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedSoon reports whether the server closed c (without a word) within a
// second.
func closedSoon(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(time.Second))
	_, err := c.Read(make([]byte, 1))
	return err == io.EOF
}

// TestLimitListener checks that connections past the limit from one
// address, and past the limit of all, are closed at once while the others
// are served; and that a closed connection gives its place back.
func TestLimitListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })}
	go srv.Serve(httpapi.LimitListener(ln, 4, 2))
	t.Cleanup(func() { srv.Close() })
	addr := ln.Addr().String()

	a1, a2 := dialFrom(t, "127.0.0.1", addr), dialFrom(t, "127.0.0.1", addr)
	time.Sleep(100 * time.Millisecond) // accepted
	if a3 := dialFrom(t, "127.0.0.1", addr); !closedSoon(a3) {
		t.Fatal("a third connection from 127.0.0.1 (2 per address) was kept")
	}
	b1 := dialFrom(t, "127.0.0.2", addr)
	b2 := dialFrom(t, "127.0.0.2", addr)
	time.Sleep(100 * time.Millisecond)
	if c1 := dialFrom(t, "127.0.0.3", addr); !closedSoon(c1) {
		t.Fatal("a fifth connection (4 at most) was kept")
	}
	// The connections kept are served.
	for _, c := range []net.Conn{a1, b1} {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		buf := make([]byte, 64)
		if n, err := c.Read(buf); err != nil || n == 0 {
			t.Fatalf("a kept connection was not served: %v", err)
		}
	}
	// A closed one gives its place back.
	a2.Close()
	b2.Close()
	time.Sleep(100 * time.Millisecond) // the server sees them closed
	c := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.3")}}).DialContext}}
	resp, err := c.Get("http://" + addr + "/")
	if err != nil {
		t.Fatalf("a request once two connections closed: %v", err)
	}
	resp.Body.Close()
}
