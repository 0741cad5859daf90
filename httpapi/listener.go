package httpapi

import (
	"net"
	"sync"
)

// Defaults of LimitListener, the server's -max-conns and -max-conns-per-ip.
const (
	DefaultMaxConns      = 1024
	DefaultMaxConnsPerIP = 128
)

// LimitListener returns a listener that holds at most max connections at
// once, and at most perIP from one client address (an IPv6 client by its
// /64): a connection past either limit is closed as soon as it is
// accepted, while the others are served, so a flood from one address never
// keeps another from being answered, and never takes every file
// descriptor. max or perIP of 0 or less means no such limit. Serve the
// handler on it (http.Server.Serve); it is safe for concurrent use.
func LimitListener(ln net.Listener, max, perIP int) net.Listener {
	return &limitListener{Listener: ln, max: max, perIP: perIP, byAddr: make(map[string]int)}
}

type limitListener struct {
	net.Listener
	max, perIP int

	mu     sync.Mutex
	total  int
	byAddr map[string]int
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := connAddr(c)
		if l.admit(addr) {
			return &limitConn{Conn: c, release: func() { l.release(addr) }}, nil
		}
		c.Close()
	}
}

// admit counts a new connection from addr, or reports false when it is
// past a limit.
func (l *limitListener) admit(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if (l.max > 0 && l.total >= l.max) || (l.perIP > 0 && l.byAddr[addr] >= l.perIP) {
		return false
	}
	l.total++
	l.byAddr[addr]++
	return true
}

func (l *limitListener) release(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.byAddr[addr]--; l.byAddr[addr] <= 0 {
		delete(l.byAddr, addr)
	}
}

// connAddr is the address a connection counts against (see clientAddr).
func connAddr(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return addrKey(a.IP)
	}
	return c.RemoteAddr().String()
}

// limitConn releases its place when it is closed, once.
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
