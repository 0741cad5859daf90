// Package statsjson writes the JSON of stats answers and breakdowns, as
// the API serves them and the runner prints them, without reflection.
package statsjson

import (
	"math"
	"strconv"
	"time"

	"github.com/logstats/logstats/internal/jsonstr"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/decimal"
)

// AppendStats appends the JSON of a stats answer:
//
//	{"customer_id": ..., "day_zone": "UTC", "from_date": "YYYY-MM-DD", "to_date": "YYYY-MM-DD" or null,
//	 "failed_statuses": "4xx,5xx" or "5xx", "stats": STATS, "daily": [{"date": "YYYY-MM-DD", STATS fields...}, ...]}
//
// where STATS is {"total_requests", "total_successful_requests",
// "total_failed_requests", "timed_requests" (those with a latency),
// "uptime" (null without requests), "average_latency", "median_latency",
// "p99_latency", "min_latency", "max_latency" (seconds; null without timed
// requests), "requests_by_status_class": {"2xx": n, ...} (classes with
// requests), and, when percentiles were asked for, "latency_percentiles":
// {"p90": seconds, ...} in the order asked}. With f.Interval week or
// month, "daily" gives way to "periods": [{"start": "YYYY-MM-DD", "end":
// "YYYY-MM-DD", STATS fields...}, ...].
//
// It writes the bytes encoding/json writes for that shape (a test holds it
// to that), without reflection: a stats answer is the hot path of the API,
// and encoding/json took most of its time.
func AppendStats(b []byte, st *logstats.CustomerStats, f logstats.StatsFilter) []byte {
	b = appendHead(b, st.CustomerID, st.DayZone, f.From, f.To, st.Failed)
	b = append(b, `,"stats":{`...)
	b = AppendFields(b, &st.Stats, f.Percentiles)
	if f.Interval == logstats.IntervalDay {
		b = append(b, `},"daily":[`...)
		for i := range st.Daily {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"date":"`...)
			b = appendDate(b, st.Daily[i].Date)
			b = append(b, `",`...)
			b = AppendFields(b, &st.Daily[i].Stats, f.Percentiles)
			b = append(b, '}')
		}
	} else {
		b = append(b, `},"periods":[`...)
		for i := range st.Periods {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"start":"`...)
			b = appendDate(b, st.Periods[i].Start)
			b = append(b, `","end":"`...)
			b = appendDate(b, st.Periods[i].End)
			b = append(b, `",`...)
			b = AppendFields(b, &st.Periods[i].Stats, f.Percentiles)
			b = append(b, '}')
		}
	}
	b = append(b, ']')
	b = appendObjectives(b, st.Objectives)
	if p := st.Previous; p != nil {
		b = append(b, `,"previous":{"from_date":"`...)
		b = appendDate(b, p.From)
		b = append(b, `","to_date":"`...)
		b = appendDate(b, p.To)
		b = append(b, `","stats":{`...)
		b = AppendFields(b, &p.Stats, f.Percentiles)
		b = append(b, "}}"...)
	}
	return append(b, '}')
}

// appendObjectives appends ,"slo": [...], how each objective fares (SPEC
// §15), when there are objectives:
//
//	{"objective": "uptime>=99.9", "target": 99.9, "actual": 99.95 or null, "met": true,
//	 "budget": {"allowed": 175, "spent": 88, "remaining": 0.497 or null}}
//
// where target and actual are a percent (uptime) or seconds (a latency).
func appendObjectives(b []byte, objectives []logstats.ObjectiveStatus) []byte {
	if len(objectives) == 0 {
		return b
	}
	b = append(b, `,"slo":[`...)
	for i := range objectives {
		o := &objectives[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"objective":"`...)
		b = append(b, o.Objective.String()...) // letters, digits, ".", "<", ">" and "=" alone
		b = append(b, `","target":`...)
		b = append(b, o.Objective.TargetText()...)
		b = append(b, `,"actual":`...)
		b = o.AppendActual(b)
		b = append(b, `,"met":`...)
		b = strconv.AppendBool(b, o.Met)
		b = append(b, `,"budget":`...)
		b = o.AppendBudget(b)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendHead opens the object of an answer about a customer's range of
// days: {"customer_id", "day_zone", "from_date", "to_date" (null for no
// end), "failed_statuses".
func appendHead(b []byte, customerID, zone string, from logstats.Date, to *logstats.Date, failed logstats.FailedStatuses) []byte {
	b = append(b, `{"customer_id":`...)
	b = appendJSONString(b, customerID)
	b = append(b, `,"day_zone":`...)
	b = appendJSONString(b, zone)
	b = appendRange(b, from, to)
	b = append(b, `,"failed_statuses":"`...)
	b = append(b, failed.String()...)
	return append(b, '"')
}

// appendRange appends ,"from_date":"YYYY-MM-DD","to_date": the last day
// or null.
func appendRange(b []byte, from logstats.Date, to *logstats.Date) []byte {
	b = append(b, `,"from_date":"`...)
	b = appendDate(b, from)
	b = append(b, `","to_date":`...)
	if to == nil {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = appendDate(b, *to)
	return append(b, '"')
}

// AppendFields appends the fields of STATS (see AppendStats), without
// braces.
func AppendFields(b []byte, st *logstats.Stats, percentiles []logstats.Percentile) []byte {
	b = append(b, `"total_requests":`...)
	b = strconv.AppendInt(b, st.TotalRequests, 10)
	b = append(b, `,"total_successful_requests":`...)
	b = strconv.AppendInt(b, st.SuccessfulRequests, 10)
	b = append(b, `,"total_failed_requests":`...)
	b = strconv.AppendInt(b, st.FailedRequests, 10)
	b = append(b, `,"timed_requests":`...)
	b = strconv.AppendInt(b, st.TimedRequests, 10)
	b = append(b, `,"uptime":`...)
	if st.TotalRequests == 0 {
		b = append(b, "null"...)
	} else {
		b = appendUptime(b, st.Uptime)
	}
	none := st.TimedRequests == 0 // no latency figures
	for _, l := range [...]struct {
		name string
		d    time.Duration
	}{
		{`,"average_latency":`, st.AverageLatency},
		{`,"median_latency":`, st.MedianLatency},
		{`,"p99_latency":`, st.P99Latency},
		{`,"min_latency":`, st.MinLatency},
		{`,"max_latency":`, st.MaxLatency},
	} {
		b = append(b, l.name...)
		b = appendSeconds(b, l.d, none)
	}
	b = append(b, `,"requests_by_status_class":{`...)
	first := true
	for i, n := range st.RequestsByStatusClass {
		if n == 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"', byte('1'+i), 'x', 'x', '"', ':')
		b = strconv.AppendInt(b, n, 10)
	}
	b = append(b, '}')
	if len(percentiles) > 0 {
		b = append(b, `,"latency_percentiles":{`...)
		for i, p := range percentiles {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, "p"+p.String())
			b = append(b, ':')
			b = appendSeconds(b, percentileLatency(st, i), none || i >= len(st.Percentiles))
		}
		b = append(b, '}')
	}
	return b
}

func percentileLatency(st *logstats.Stats, i int) time.Duration {
	if i < len(st.Percentiles) {
		return st.Percentiles[i].Latency
	}
	return 0
}

// appendSeconds appends a whole number of microseconds as seconds, or null.
// encoding/json would write float64(µs)/1e6 in its shortest form, which is
// the exact decimal (0.115, not 0.11499999): the division is correctly
// rounded, and two decimals of at most 15 significant digits never round to
// the same float64. So the decimal is written from the integer directly.
func appendSeconds(b []byte, d time.Duration, null bool) []byte {
	if null {
		return append(b, "null"...)
	}
	return appendDecimal(b, d.Microseconds(), 6)
}

// appendUptime appends an uptime, a percentage rounded to 2 decimals, as
// encoding/json writes it (see appendSeconds).
func appendUptime(b []byte, u float64) []byte {
	if u < 0 || u > 100 || math.IsNaN(u) {
		return appendJSONFloat(b, u)
	}
	return appendDecimal(b, int64(math.Round(u*100)), 2)
}

// appendDecimal appends n / 10^places in its shortest decimal form
// (trailing zeros of the fraction dropped), exact for 0 <= n < 10^15 and as
// encoding/json writes the float64 otherwise.
func appendDecimal(b []byte, n int64, places int) []byte {
	if n < 0 || n >= 1e15 {
		return appendJSONFloat(b, float64(n)/math.Pow10(places))
	}
	return decimal.Append(b, n, places)
}

// appendJSONFloat formats f as encoding/json does.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 becomes 1e-7, as encoding/json writes it.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

func appendDate(b []byte, d logstats.Date) []byte {
	b, _ = d.AppendText(b)
	return b
}

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it (HTML-safe, invalid UTF-8 replaced).
func appendJSONString(b []byte, s string) []byte { return jsonstr.Append(b, s) }
