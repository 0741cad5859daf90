package logstats

import (
	"fmt"
	"strings"
)

// FailedStatuses says which status classes count as failed requests
// (SPEC §15): uptime, the successful and failed counts and the uptime
// objectives follow it. Rollups keep every status class apart, so it
// applies to data loaded before it was chosen.
//
// The zero FailedStatuses is "as the service says": a StatsService's
// Failed, itself Failed4xx5xx when zero.
type FailedStatuses uint8

// The definitions of failed requests.
const (
	// Failed4xx5xx counts client and server errors, status 400 and above,
	// as failed: the seed's definition (SPEC §3), and the default.
	Failed4xx5xx FailedStatuses = iota + 1
	// Failed5xx counts server errors alone as failed, as SLAs usually do:
	// a client's 404 is a success of the service.
	Failed5xx
)

// ParseFailedStatuses parses "4xx,5xx" (the classes in any order, spaces
// allowed) or "5xx". Errors wrap ErrInvalidFailed.
func ParseFailedStatuses(s string) (FailedStatuses, error) {
	var four, five, other int
	for _, c := range strings.Split(s, ",") {
		switch strings.ToLower(strings.TrimSpace(c)) {
		case "4xx":
			four++
		case "5xx":
			five++
		default:
			other++
		}
	}
	switch {
	case other > 0:
	case four == 1 && five == 1:
		return Failed4xx5xx, nil
	case four == 0 && five == 1:
		return Failed5xx, nil
	}
	return 0, fmt.Errorf("%w: %q: want 4xx,5xx (client and server errors, the default) or 5xx (server errors alone)", ErrInvalidFailed, truncateForMessage(s))
}

// String returns "4xx,5xx" or "5xx"; "" for the zero FailedStatuses.
func (f FailedStatuses) String() string {
	switch f {
	case Failed4xx5xx:
		return "4xx,5xx"
	case Failed5xx:
		return "5xx"
	case 0:
		return ""
	}
	return fmt.Sprintf("FailedStatuses(%d)", uint8(f))
}

// or returns f, or def when f is zero, or Failed4xx5xx when both are.
func (f FailedStatuses) or(def FailedStatuses) FailedStatuses {
	switch {
	case f != 0:
		return f
	case def != 0:
		return def
	}
	return Failed4xx5xx
}

// failed returns how many requests of byClass are failed ones.
func (f FailedStatuses) failed(byClass *[5]int64) int64 {
	if f == Failed5xx {
		return byClass[4]
	}
	return byClass[3] + byClass[4]
}
