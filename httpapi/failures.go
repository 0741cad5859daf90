package httpapi

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Limits of failed authentications (SPEC §16): more than maxFailures from
// one client address within failureWindow, and the address gets 429 until
// the window is over.
const (
	maxFailures   = 20
	failureWindow = time.Minute
	// maxTrackedAddrs bounds the addresses remembered at once.
	maxTrackedAddrs = 100_000
)

// failureLimiter counts failed authentications per client address, in
// fixed windows that start at an address's first failure. It is safe for
// concurrent use.
type failureLimiter struct {
	now func() time.Time

	mu     sync.Mutex
	byAddr map[string]*failureCount
}

type failureCount struct {
	start time.Time // when the window began
	n     int       // failures in it
}

func newFailureLimiter(now func() time.Time) *failureLimiter {
	return &failureLimiter{now: now, byAddr: make(map[string]*failureCount)}
}

// blocked returns how long addr must still wait, or 0 when it may try.
func (l *failureLimiter) blocked(addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.byAddr[addr]
	if c == nil || c.n < maxFailures {
		return 0
	}
	wait := c.start.Add(failureWindow).Sub(l.now())
	if wait <= 0 {
		delete(l.byAddr, addr)
		return 0
	}
	return wait
}

// fail counts a failed authentication from addr.
func (l *failureLimiter) fail(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	c := l.byAddr[addr]
	if c != nil && now.Sub(c.start) >= failureWindow {
		c = nil
	}
	if c == nil {
		if len(l.byAddr) >= maxTrackedAddrs {
			l.evict(now)
		}
		c = &failureCount{start: now}
		l.byAddr[addr] = c
	}
	c.n++
}

// evict forgets the addresses whose window is over, and when that is not
// enough, arbitrary ones: memory stays bounded whatever the number of
// addresses (at the price of forgetting some of them early).
func (l *failureLimiter) evict(now time.Time) {
	for addr, c := range l.byAddr {
		if now.Sub(c.start) >= failureWindow {
			delete(l.byAddr, addr)
		}
	}
	for addr := range l.byAddr {
		if len(l.byAddr) < maxTrackedAddrs*9/10 {
			break
		}
		delete(l.byAddr, addr)
	}
}

// clientAddr is the address failures are counted against: the IP of the
// connection's peer, an IPv6 address by its /64 (one host usually has a
// whole /64 to choose from). Behind a reverse proxy every client shares
// the proxy's address; see the README's "Deploying".
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil {
		return addrKey(ip)
	}
	return host
}

// addrKey is the key a client's IP counts under: an IPv4 address itself,
// an IPv6 address its /64.
func addrKey(ip net.IP) string {
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}
