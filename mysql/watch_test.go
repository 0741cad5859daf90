package mysql

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// TestWatchedConn writes 64 MiB, far more than the sockets' buffers hold,
// to a peer that reads none of it: a peer that closes its side (what MariaDB
// does to a killed LOAD DATA) or answers fails the write within a few
// seconds, well before its 20 s deadline; a peer that is only slow makes it
// wait until its deadline, as before.
func TestWatchedConn(t *testing.T) {
	for _, tc := range []struct {
		name     string
		peer     func(c *net.TCPConn)
		deadline time.Duration
		want     error
	}{
		{"ServerClosed", func(c *net.TCPConn) { c.CloseWrite() }, 20 * time.Second, errServerClosed},
		{"ServerAnswered", func(c *net.TCPConn) { c.Write([]byte{1}) }, 20 * time.Second, errServerClosed},
		{"ServerSlow", func(*net.TCPConn) {}, 2500 * time.Millisecond, os.ErrDeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			done := make(chan struct{})
			defer close(done)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close() // when the test ends: the listener's Close does not close it
				tc.peer(c.(*net.TCPConn))
				<-done
			}()
			conn, err := watchClosing(nil)(context.Background(), "tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, ok := conn.(*watchedConn); !ok {
				t.Fatalf("dialled a %T, want a *watchedConn", conn)
			}
			start := time.Now()
			conn.SetWriteDeadline(start.Add(tc.deadline))
			n, err := conn.Write(make([]byte, 64<<20))
			took := time.Since(start)
			t.Logf("wrote %d bytes in %v: %v", n, took.Round(time.Millisecond), err)
			if !errors.Is(err, tc.want) {
				t.Fatalf("write: %v, want %v", err, tc.want)
			}
			if tc.want == errServerClosed && took > 10*time.Second {
				t.Fatalf("the write failed after %v; want within 10 s", took)
			}
			if tc.want == os.ErrDeadlineExceeded && took < tc.deadline {
				t.Fatalf("the write failed after %v, before its deadline %v", took, tc.deadline)
			}
		})
	}
}
