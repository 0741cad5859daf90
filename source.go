package logstats

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// source is a log being loaded and its ledger row.
type source struct {
	id          int64
	fingerprint [32]byte
	name        string
	offset      int64          // committed byte offset
	lines       int64          // committed lines
	sum         []byte         // SHA-256 of the committed prefix
	exists      bool           // whether the ledger row exists
	reading     sourceReading  // how this load reads it
	dayZone     *time.Location // the database's day zone, which cuts the rollups' days
	store       *rawStore      // the database's raw requests
	// recordedAuto: the ledger says "auto", since the loads before saw no
	// line that told the format (only blank lines); this load records it.
	recordedAuto bool
	// checkFrom: the copy check samples the requests from this offset on;
	// those before it are another source's first lines, by accident.
	checkFrom int64
}

// sourceID derives the ledger key from the fingerprint, so that no
// AUTO_INCREMENT is needed. A collision of 63-bit ids is detected when the
// stored fingerprint differs.
func sourceID(fp [32]byte) int64 {
	return int64(binary.BigEndian.Uint64(fp[:8]) >> 1)
}

// openSource reads the committed state of src from its ledger row. A new
// source has none yet: its first batch creates it.
func (ing *Ingester) openSource(ctx context.Context, src *source) error {
	var fp []byte
	var format, customer, customerDefault, dims sql.NullString
	err := ing.db.QueryRowContext(ctx,
		`SELECT s.fingerprint, s.committed_offset, s.committed_lines, s.committed_sha256, f.format, f.customer, f.customer_default, f.dimensions
		FROM logstats_sources s LEFT JOIN logstats_source_formats f ON f.source_id = s.source_id
		WHERE s.source_id = ?`,
		src.id).Scan(&fp, &src.offset, &src.lines, &src.sum, &format, &customer, &customerDefault, &dims)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		empty := sha256.Sum256(nil)
		src.offset, src.lines, src.sum = 0, 0, empty[:]
		return nil
	case err != nil:
		return fmt.Errorf("read source %s: %w", src.name, err)
	case !bytes.Equal(fp, src.fingerprint[:]):
		return fmt.Errorf("source %s: its id %d collides with another source's; report this as a bug", src.name, src.id)
	}
	src.exists = true
	if src.offset < 0 {
		return fmt.Errorf("%w: %s (source %d): a Forget of it started and has not finished; run it again, then load", ErrForgetting, src.name, src.id)
	}
	recorded := legacyReading
	if format.Valid {
		recorded = sourceReading{format.String, customer.String, customerDefault.String, dims.String}
	}
	src.recordedAuto = recorded.format == "auto"
	if !src.recordedAuto && src.reading.format != "auto" && !recorded.same(src.reading) {
		return readingChanged(src.name, recorded, src.reading)
	}
	return nil
}

func truncateName(name string) string {
	if len(name) > 1024 {
		return name[:1024]
	}
	return name
}

// errSourceMoved says that another load committed first.
func errSourceMoved(src *source) error {
	return fmt.Errorf("%w: %s: another load committed these lines first; nothing was counted twice", ErrLoadInProgress, src.name)
}

// advanceSource moves the ledger of src to the end of b: a compare-and-set
// on the committed offset, or, for a new source, the INSERT of its row (which
// fails on the primary key if another load created it first).
func (ing *Ingester) advanceSource(ctx context.Context, tx *sql.Tx, src *source, b *batch) error {
	now := ing.now().UnixMicro()
	if !src.exists {
		_, err := tx.ExecContext(ctx, `INSERT INTO logstats_sources
			(source_id, fingerprint, name, committed_offset, committed_lines, committed_sha256, committed_requests, created_us, updated_us)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			src.id, src.fingerprint[:], truncateName(src.name), b.endOffset, b.endLines, b.sum, len(b.entries), now, now)
		if err == nil {
			r := src.reading
			if _, err := tx.ExecContext(ctx, `INSERT INTO logstats_source_formats (source_id, format, customer, customer_default, dimensions) VALUES (?, ?, ?, ?, ?)`,
				src.id, r.format, r.customer, r.customerDefault, r.dimensions); err != nil {
				return fmt.Errorf("register source %s: %w", src.name, err)
			}
			return nil
		}
		var n int
		if qerr := ing.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM logstats_sources WHERE source_id = ?`, src.id).Scan(&n); qerr == nil && n > 0 {
			return errSourceMoved(src)
		}
		return fmt.Errorf("register source %s: %w", src.name, err)
	}
	if src.recordedAuto && src.reading.format != "auto" {
		r := src.reading
		if _, err := tx.ExecContext(ctx, `UPDATE logstats_source_formats SET format = ?, customer = ?, customer_default = ?, dimensions = ? WHERE source_id = ?`,
			r.format, r.customer, r.customerDefault, r.dimensions, src.id); err != nil {
			return fmt.Errorf("update source %s: %w", src.name, err)
		}
	}
	result, err := tx.ExecContext(ctx, `UPDATE logstats_sources
		SET committed_offset = ?, committed_lines = ?, committed_sha256 = ?, name = ?, updated_us = ?,
			committed_requests = CASE WHEN committed_requests < 0 THEN committed_requests ELSE committed_requests + ? END
		WHERE source_id = ? AND committed_offset = ?`,
		b.endOffset, b.endLines, b.sum, truncateName(src.name), now, len(b.entries), src.id, src.offset)
	if err != nil {
		return fmt.Errorf("update source %s: %w", src.name, err)
	}
	if n, err := result.RowsAffected(); err != nil {
		return fmt.Errorf("update source %s: %w", src.name, err)
	} else if n != 1 {
		return errSourceMoved(src)
	}
	return nil
}

// Committed returns how far the ledger says source (a Checkpoint's Source)
// is loaded: its committed byte offset and lines; 0, 0 for a source never
// loaded, or one being forgotten.
func (ing *Ingester) Committed(ctx context.Context, source int64) (offset, lines int64, err error) {
	err = ing.db.QueryRowContext(ctx, `SELECT committed_offset, committed_lines FROM logstats_sources WHERE source_id = ?`, source).Scan(&offset, &lines)
	if errors.Is(err, sql.ErrNoRows) || err == nil && offset < 0 {
		return 0, 0, nil // never loaded, or being forgotten (see Forget)
	}
	if err != nil {
		return 0, 0, classify(ing.Driver, fmt.Errorf("read source %d: %w", source, err))
	}
	return offset, lines, nil
}
