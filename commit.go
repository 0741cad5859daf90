package logstats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// errNoRequest says that a load of a new source read no request, so that
// it recorded nothing (see writeBatches).
var errNoRequest = errors.New("no request in a new source")

// writeBatches commits batches in order until the channel closes. For a new
// source, the first batch with requests is first checked against the
// requests of other sources, and the batches before it are not committed:
// the ledger learns of a new source with its first request (that batch's
// commit covers the lines before it), so that a log that names no customer
// records nothing, not a reading that would refuse the right flags later.
// It returns errNoRequest when a new source had none.
func (ing *Ingester) writeBatches(ctx context.Context, d Dialect, bulk BulkLoader, src *source, isNew bool, in <-chan *batch, free chan<- *batch, res *LoadResult, progress func(LoadProgress)) error {
	touched := touchedDays{limit: max(ing.BatchLines, minTouchedDays)}
	var groups batchRollups
	var feed insertFeed
	committed := 0
	var inserted, malformed int64
	for b := range in {
		if isNew && len(b.entries) == 0 {
			malformed += b.malformed
			select {
			case free <- b:
			default:
			}
			continue
		}
		if isNew {
			if err := ing.checkNotLoadedElsewhere(ctx, src, copyCheckEntries(src, b)); err != nil {
				return err
			}
			isNew = false
		}
		// The batch is grouped by customer and day while the ledger and the
		// raw rows are being written (on the other core), and waited for
		// only when the blocks or the rollups need it.
		grouped := make(chan struct{})
		go func(b *batch) {
			groups.group(b.entries, src.dayZone)
			close(grouped)
		}(b)
		getGroups := func() *batchRollups {
			<-grouped
			return &groups
		}
		err := ing.retry(ctx, func() error { return ing.commitBatch(ctx, d, bulk, src, b, getGroups, &feed) })
		if err != nil && ctx.Err() != nil {
			// Cancelled: the driver may report it as anything ("statement is
			// closed", "bad connection"); say what happened.
			return fmt.Errorf("%w (the batch in flight was not confirmed: %v; running the load again continues where it stopped)", context.Cause(ctx), err)
		}
		if err != nil {
			return err
		}
		src.offset, src.lines, src.sum, src.exists = b.endOffset, b.endLines, b.sum, true
		inserted += int64(len(b.entries))
		malformed += b.malformed
		res.Inserted = inserted
		if !touched.fits(getGroups()) {
			ing.compact(ctx, d, &touched)
		}
		touched.add(getGroups())
		if ing.OnCommit != nil {
			ing.OnCommit(getGroups().customerList())
		}
		if committed++; committed%max(ing.CompactEvery, 1) == 0 || touched.full() {
			ing.compact(ctx, d, &touched)
		}
		if progress != nil {
			progress(LoadProgress{Bytes: b.endOffset, Lines: b.endLines, Inserted: inserted, Malformed: malformed})
		}
		select {
		case free <- b:
		default:
		}
	}
	ing.compact(ctx, d, &touched)
	if isNew {
		return errNoRequest
	}
	return nil
}

// commitBatch writes one batch: the ledger first (which also takes the row
// lock that serialises loads of the source), then the raw requests in the
// database's raw mode (rows, or blocks of the groups) and the rollup
// rows, then commit. The feed encodes the blocks and rollups on another
// goroutine, which waits for the grouping while the ledger is written.
func (ing *Ingester) commitBatch(ctx context.Context, d Dialect, bulk BulkLoader, src *source, b *batch, groups func() *batchRollups, feed *insertFeed) error {
	tx, err := ing.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin batch: %w", err)
	}
	defer tx.Rollback()
	if err := ing.advanceSource(ctx, tx, src, b); err != nil {
		return err
	}
	if src.store.mode == RawRows {
		if err := ing.writeRequests(ctx, tx, d, bulk, src.id, b); err != nil {
			return err
		}
	}
	if err := feed.write(ctx, tx, d, src.id, b.endOffset, groups, b.offsets, src.store.mode == RawBlocks); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit batch: %w", err)
	}
	return nil
}

// beforeWrite asks the Guard whether a load or prune may write, and returns
// the BulkLoader the load may use: nil for multi-row INSERTs.
func (ing *Ingester) beforeWrite(ctx context.Context, d Dialect) (BulkLoader, error) {
	bulk := true
	if ing.Guard != nil {
		var err error
		if bulk, err = ing.Guard.BeforeWrite(ctx, ing.db); err != nil {
			return nil, err
		}
	}
	if !bulk || d != DialectMySQL {
		return nil, nil
	}
	return ing.BulkLoader, nil
}

// writeRequests writes the raw rows of b: with bulk, unless it is nil or
// the server refused it once, else with multi-row INSERTs.
func (ing *Ingester) writeRequests(ctx context.Context, tx *sql.Tx, d Dialect, bulk BulkLoader, sourceID int64, b *batch) error {
	if bulk != nil && !ing.bulkRefused.Load() && len(b.entries) > 0 {
		err := loadDataRequests(ctx, tx, bulk, sourceID, b.entries, b.offsets)
		if err == nil || !bulk.LoadDataRefused(err) {
			return err
		}
		// A refused statement changed nothing; the transaction goes on.
		ing.bulkRefused.Store(true)
	}
	return insertRequests(ctx, tx, d, sourceID, b.entries, b.offsets)
}

// retry runs fn again after errors that a retry can cure: a deadlock, a lock
// wait timeout, a busy SQLite database. fn must be a whole transaction.
func (ing *Ingester) retry(ctx context.Context, fn func() error) error {
	delay := 20 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err := fn()
		if err == nil || attempt >= ing.MaxRetries || !transient(ing.Driver, err) {
			return err
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return err
		}
		delay *= 2
	}
}
