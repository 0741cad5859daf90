// Package logstats turns API request logs into exact per-customer statistics.
//
// A log has one request per line:
//
//	2024-10-03 14:22:05 cust_17 /api/v1/resource2 404 1.234
//	<date>     <time>   <customer> <path>        <status> <latency seconds>
//
// # Parsing
//
// A [Parser] reads such lines from any [io.Reader], plain or gzip-compressed, into
// [Entry] values. Malformed lines come back as [*ParseError] values that carry the
// 1-based line number and a reason a person can act on; the caller decides whether
// to go on.
//
// # Loading
//
// An [Ingester] loads a log into a SQL database (MySQL, MariaDB or SQLite) through a
// [*database/sql.DB] whose driver the application chooses. Each batch of lines commits
// its raw rows, its per-(customer, day) rollups and the source's progress in one
// transaction, so a load is exactly once: loading a file again adds nothing, a load
// killed at any point resumes where it stopped, a file that grew gets only its new
// lines, and a file whose loaded part changed is refused. Call [Migrate] once at
// start-up to create or upgrade the tables.
// [Ingester.FindSources] lists the loaded logs; [Ingester.Forget] undoes the loads
// of one (loaded with the wrong settings, say), exactly, so that it can be loaded
// again.
//
// # Statistics
//
// A [StatsService] answers "how did customer X do, per day, since date D" from the
// rollups only: request counts, uptime, and the average, median, p99 (or any other
// percentile) latency. The rollups keep an exact latency distribution, so the
// answers equal those of a naive computation over every raw row, for any data size,
// while a query's cost grows with the number of days it covers, not with the number
// of requests.
//
// The subpackage httpapi serves all of this over HTTP; the subpackages mysql
// and sqlite open databases with the settings logstats needs. docs/DESIGN.md
// in the repository follows a line from the file to the HTTP answer, file by
// file.
package logstats

import (
	"fmt"
	"time"

	"github.com/logstats/logstats/internal/decimal"
)

// Entry is one request read from a log line.
type Entry struct {
	// Time is when the request happened: in the Parser's Location for a
	// timestamp without a zone, in UTC for one with a zone or an offset.
	Time time.Time
	// CustomerID identifies the customer: 1 to 128 bytes of valid UTF-8, no
	// whitespace or control characters (see ValidCustomerID).
	CustomerID string
	// Method is the request's method (GET), where the log has it.
	Method string
	// Path is the request path, 1 to 2048 bytes, without the query string
	// unless the Parser keeps it.
	Path string
	// Status is the HTTP status code, 100 to 599.
	Status int
	// Latency is how long the request took, in whole microseconds, or
	// NoLatency when the log does not say (a log without a request time, a
	// time of "-").
	Latency time.Duration
	// Dimensions are the request's values of the dimensions its Parser
	// read (ParseConfig.Dimensions), in their order, "" where a selector
	// found nothing; nil without dimensions. Entries may share the
	// memory behind it: do not modify it.
	Dimensions []string
}

// NoLatency is the Latency of a request whose log line carries no request
// time. It counts in the totals, the status classes and the uptime, and in
// no latency figure.
const NoLatency = -time.Microsecond

// Successful reports whether the request succeeded: a status below 400.
func (e Entry) Successful() bool { return e.Status < 400 }

// Timed reports whether the request has a latency: whether Latency is not
// NoLatency.
func (e Entry) Timed() bool { return e.Latency >= 0 }

// String formats e as a log line (without a newline) that parses back to e.
func (e Entry) String() string { return string(e.AppendFormat(nil)) }

// AppendFormat appends e formatted as a log line (without a newline) to b.
func (e Entry) AppendFormat(b []byte) []byte {
	b = e.Time.AppendFormat(b, "2006-01-02 15:04:05.999999999")
	b = append(b, ' ')
	b = append(b, e.CustomerID...)
	b = append(b, ' ')
	b = append(b, e.Path...)
	b = append(b, ' ')
	b = fmt.Appendf(b, "%d ", e.Status)
	if !e.Timed() {
		return append(b, '-')
	}
	return decimal.Append(b, e.Latency.Microseconds(), 6) // seconds: "1.234", "0"
}

// truncateForMessage shortens s for an error message, so that a hostile 64 KiB
// field does not become a 64 KiB error.
func truncateForMessage(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}
