package logstats

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// A BulkLoader runs MySQL's LOAD DATA LOCAL INFILE with the file's content
// streamed from memory, which spares the server parsing a statement and
// binding parameters for every row. The Driver of package
// github.com/logstats/logstats/mysql is one; logstats itself imports no
// driver.
type BulkLoader interface {
	// LoadData makes r readable by the server as the LOCAL INFILE named
	// file, executes stmt(file) in tx and returns its result.
	LoadData(ctx context.Context, tx *sql.Tx, stmt func(file string) string, r io.Reader) (sql.Result, error)
	// LoadDataRefused reports whether err, from LoadData, says that the
	// server (or the driver) does not allow LOAD DATA LOCAL; the Ingester
	// then writes with INSERTs instead.
	LoadDataRefused(err error) bool
}

// loadDataRequests writes the raw rows of entries, as insertRequests does, with LOAD DATA LOCAL INFILE, from
// tab-separated rows generated as the server reads them. LOCAL makes the
// server skip rows with a duplicate key instead of failing; the ledger's
// compare-and-set makes that impossible, and the row count is checked so
// that it cannot go unnoticed.
func loadDataRequests(ctx context.Context, tx *sql.Tx, bl BulkLoader, sourceID int64, entries []Entry, offsets []int64) error {
	stmt := func(file string) string {
		// The defaults of LOAD DATA: fields end at tabs, lines at newlines,
		// and backslash escapes.
		return "LOAD DATA LOCAL INFILE '" + file + "' INTO TABLE logstats_raw_requests CHARACTER SET binary (" + requestColumnsWith(batchDimensions(entries)) + ")"
	}
	res, err := bl.LoadData(ctx, tx, stmt, &rowStream{entries: entries, offsets: offsets, sourceID: sourceID})
	if err != nil {
		return fmt.Errorf("load data into logstats_raw_requests: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("load data into logstats_raw_requests: %w", err)
	} else if n != int64(len(entries)) {
		return fmt.Errorf("load data into logstats_raw_requests: %d of %d rows written; the others were there already, which the source's ledger should have prevented", n, len(entries))
	}
	return nil
}

// rowStream is an io.Reader of raw rows in LOAD DATA's default
// format, made a chunk at a time so that memory does not grow with the batch.
type rowStream struct {
	entries  []Entry
	offsets  []int64
	sourceID int64
	next     int    // next entry to format
	buf      []byte // formatted, not yet read
}

const rowStreamChunk = 64 << 10

func (s *rowStream) Read(p []byte) (int, error) {
	if len(s.buf) == 0 {
		if s.next == len(s.entries) {
			return 0, io.EOF
		}
		s.fill()
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// fill formats entries into buf until it holds about rowStreamChunk bytes.
func (s *rowStream) fill() {
	buf := s.buf[:0]
	if cap(buf) < rowStreamChunk+4096 {
		buf = make([]byte, 0, rowStreamChunk+4096)
	}
	for ; s.next < len(s.entries) && len(buf) < rowStreamChunk; s.next++ {
		e := &s.entries[s.next]
		buf = appendField(buf, e.CustomerID)
		buf = append(buf, '\t')
		buf = strconv.AppendInt(buf, s.sourceID, 10)
		buf = append(buf, '\t')
		buf = strconv.AppendInt(buf, s.offsets[s.next], 10)
		buf = append(buf, '\t')
		buf = strconv.AppendInt(buf, e.Time.UnixMicro(), 10)
		buf = append(buf, '\t')
		buf = append(buf, e.Method...) // a token: nothing to escape
		buf = append(buf, '\t')
		buf = appendField(buf, e.Path)
		buf = append(buf, '\t')
		buf = strconv.AppendInt(buf, int64(e.Status), 10)
		buf = append(buf, '\t')
		buf = strconv.AppendInt(buf, e.Latency.Microseconds(), 10)
		for _, v := range e.Dimensions {
			buf = append(buf, '\t')
			buf = appendField(buf, v)
		}
		buf = append(buf, '\n')
	}
	s.buf = buf
}

// appendField appends v escaped for LOAD DATA: a backslash before the
// backslash, tab, newline and NUL bytes (NUL as \0). A lone field \N would
// mean NULL; its backslash is escaped like any other.
func appendField(buf []byte, v string) []byte {
	if !strings.ContainsAny(v, "\\\t\n\x00") {
		return append(buf, v...)
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\', '\t', '\n':
			buf = append(buf, '\\', c)
		case 0:
			buf = append(buf, '\\', '0')
		default:
			buf = append(buf, c)
		}
	}
	return buf
}
