// Package export writes raw requests (logstats.Requests) as the export of
// SPEC §10 has them: NDJSON, one object a request, or CSV with a header
// line; the same bytes from the HTTP API and from the runner.
package export

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/decimal"
	"github.com/logstats/logstats/internal/jsonstr"
)

// The formats, by their names in the API and the runner's flags.
const (
	NDJSON = "ndjson"
	CSV    = "csv"
)

// ContentType returns the media type of format.
func ContentType(format string) string {
	if format == CSV {
		return "text/csv; charset=utf-8"
	}
	return "application/x-ndjson"
}

// CheckFormat returns an error unless format is NDJSON or CSV.
func CheckFormat(format string) error {
	if format != NDJSON && format != CSV {
		return fmt.Errorf("unknown export format %q: use ndjson or csv", format)
	}
	return nil
}

// An Encoder writes requests in one format, buffered: call Flush at the end
// (and whenever what was written should reach the reader).
type Encoder struct {
	w    *bufio.Writer
	csv  *csv.Writer // nil for NDJSON
	dims []string    // the CSV's dimension columns, by name
	buf  []byte
	row  []string
}

// columns are the fields every request has, in their order.
var columns = []string{"time", "customer_id", "method", "path", "status", "latency"}

// NewEncoder returns an Encoder of format (CheckFormat's) that writes to w;
// a CSV one writes its header line first, with a column for each of the
// dimensions dims after the fields every request has (an NDJSON line has a
// key for each dimension of its request's source instead).
func NewEncoder(w io.Writer, format string, dims []string) (*Encoder, error) {
	if err := CheckFormat(format); err != nil {
		return nil, err
	}
	e := &Encoder{w: bufio.NewWriterSize(w, 64<<10)}
	if format == CSV {
		e.csv, e.dims = csv.NewWriter(e.w), dims
		e.row = make([]string, len(columns)+len(dims))
		if err := e.csv.Write(append(slices.Clone(columns), dims...)); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// timeLayout is RFC 3339 in UTC with microseconds, always six digits.
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

// Encode writes one request.
func (e *Encoder) Encode(r *logstats.Request) error {
	if e.csv != nil {
		e.buf = e.buf[:0]
		if r.Timed() {
			e.buf = decimal.Append(e.buf, r.Latency.Microseconds(), 6)
		}
		e.row[0], e.row[1], e.row[2], e.row[3] = r.Time.UTC().Format(timeLayout), r.CustomerID, r.Method, r.Path
		e.row[4], e.row[5] = strconv.Itoa(r.Status), string(e.buf)
		for i, name := range e.dims {
			e.row[len(columns)+i] = ""
			if j := slices.Index(r.DimensionNames, name); j >= 0 && j < len(r.Dimensions) {
				e.row[len(columns)+i] = r.Dimensions[j]
			}
		}
		return e.csv.Write(e.row)
	}
	b := append(e.buf[:0], `{"time":"`...)
	b = r.Time.UTC().AppendFormat(b, timeLayout)
	b = append(b, `","customer_id":`...)
	b = jsonstr.Append(b, r.CustomerID)
	b = append(b, `,"method":`...)
	b = jsonstr.Append(b, r.Method)
	b = append(b, `,"path":`...)
	b = jsonstr.Append(b, r.Path)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = append(b, `,"latency":`...)
	if r.Timed() {
		b = decimal.Append(b, r.Latency.Microseconds(), 6)
	} else {
		b = append(b, "null"...)
	}
	for i, name := range r.DimensionNames[:min(len(r.DimensionNames), len(r.Dimensions))] {
		b = append(b, ',')
		b = jsonstr.Append(b, name)
		b = append(b, ':')
		b = jsonstr.Append(b, r.Dimensions[i])
	}
	b = append(b, "}\n"...)
	e.buf = b
	_, err := e.w.Write(b)
	return err
}

// Flush writes what is buffered.
func (e *Encoder) Flush() error {
	if e.csv != nil {
		e.csv.Flush()
		if err := e.csv.Error(); err != nil {
			return err
		}
	}
	return e.w.Flush()
}
