package logstats

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// scanDays calls fn with the raw requests of customer on the days from
// from to to (of the day zone; the zero from and a nil to leave that end
// open), a day's requests of one source at a time as columns (those of
// want, and the latencies and statuses; in raw mode rows, all), in no
// particular order: each block as it is, or, in raw mode rows, the rows of
// a page grouped by day and source. A source's dimension columns are in
// the order its ledger row names them, dims (sourceDimensions) by source.
// Blocks are decoded by workers goroutines, which call fn each with its
// number (0 to workers-1) as worker, concurrently; rows are read by one,
// worker 0. The columns are valid during the call only. Breakdowns and
// filtered stats read the raw requests through it; the export, which keeps
// the order of the source, reads them through daySources.
func (s *rawStore) scanDays(ctx context.Context, customer string, from Date, to *Date, want columnSet, workers int, dims map[int64][]string, fn func(worker int, day, source int64, cols *blockColumns) error) error {
	f := RequestFilter{From: from, To: to}
	switch s.mode {
	case RawBlocks:
		return s.scanBlockDays(ctx, customer, f, want, max(workers, 1), fn)
	case RawRows:
		return s.scanRowDays(ctx, customer, f, dims, func(day, source int64, cols *blockColumns) error { return fn(0, day, source, cols) })
	}
	return fmt.Errorf("%w: this database was loaded with raw mode none, which keeps only the rollups; load the logs into a database with raw mode blocks or rows to break them down", ErrNoRawRequests)
}

// scanBlockDays is scanDays in raw mode blocks: this goroutine reads the
// blocks, workers goroutines decode them and call fn. At most 4 blocks a
// worker are held at once.
func (s *rawStore) scanBlockDays(ctx context.Context, customer string, f RequestFilter, want columnSet, workers int, fn func(worker int, day, source int64, cols *blockColumns) error) error {
	held := 4 * workers
	free, work := make(chan *storedBlock, held), make(chan *storedBlock, held)
	for range held {
		free <- new(storedBlock)
	}
	stop := make(chan struct{})
	var once sync.Once
	var failed error
	fail := func(err error) {
		once.Do(func() { failed = err; close(stop) })
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			// A panic here would end the process (no handler's recovery
			// reaches this goroutine): it fails the scan instead.
			defer func() {
				if r := recover(); r != nil {
					fail(fmt.Errorf("reading blocks of %s: panic: %v", customer, r))
					for b := range work {
						free <- b
					}
				}
			}()
			var cols blockColumns
			for b := range work {
				select {
				case <-stop: // failed: drain
				default:
					if err := b.decodeColumns(&cols, want); err != nil {
						fail(fmt.Errorf("%s: %w", b, err))
					} else if err := fn(w, daysSinceEpoch(b.day), b.source, &cols); err != nil {
						fail(err)
					}
				}
				free <- b
			}
		})
	}
	cond, args := f.days()
	err := s.scanBlockRows(ctx, customer, cond, args, func(b *storedBlock) error {
		var c *storedBlock
		select {
		case c = <-free:
		case <-stop:
			return errStopped
		}
		// The block's bytes change hands rather than being copied: the
		// page's row takes the worker's spare buffer, which the next page
		// fills.
		spare := c.data[:0]
		*c = *b
		b.data = spare
		work <- c // never blocks: work has room for every block
		return nil
	})
	close(work)
	wg.Wait()
	if failed != nil {
		return failed
	}
	return err
}

// scanRowDays is scanDays in raw mode rows. The table has no index by
// time: it reads all of the customer's rows in key order, a page a query,
// keeping those of the days asked for.
func (s *rawStore) scanRowDays(ctx context.Context, customer string, f RequestFilter, dims map[int64][]string, fn func(day, source int64, cols *blockColumns) error) error {
	lo, hi := int64(-1<<63), int64(1<<63-1)
	if !f.From.IsZero() {
		lo = dayStart(f.From, s.zone).UnixMicro()
	}
	if f.To != nil {
		hi = dayStart(f.To.AddDays(1), s.zone).UnixMicro()
	}
	type daySource struct{ day, source int64 }
	groups := make(map[daySource]*columnsBuilder)
	var spare []*columnsBuilder
	source, offset := int64(-1<<63), int64(-1<<63)
	for {
		rows, err := s.db.QueryContext(ctx, `SELECT source_id, src_offset, ts_us, method, path, status, latency_us, `+strings.Join(dimColumns[:], ", ")+` FROM logstats_raw_requests
			WHERE customer_id = ? AND (source_id > ? OR source_id = ? AND src_offset > ?) AND ts_us >= ? AND ts_us < ?
			ORDER BY source_id, src_offset LIMIT ?`, customer, source, source, offset, lo, hi, exportRowsPage)
		if err != nil {
			return err
		}
		n := 0
		for ; rows.Next(); n++ {
			var ts, latency int64
			var status int
			var method, path string
			var values [MaxDimensions]string
			if err := rows.Scan(&source, &offset, &ts, &method, &path, &status, &latency, &values[0], &values[1], &values[2], &values[3]); err != nil {
				rows.Close()
				return err
			}
			key := daySource{dayNumber(ts, s.zone), source}
			b := groups[key]
			if b == nil {
				if k := len(spare); k > 0 {
					b, spare = spare[k-1], spare[:k-1]
				} else {
					b = new(columnsBuilder)
				}
				b.setDimensions(len(dims[source]))
				groups[key] = b
			}
			b.add(offset, ts, method, path, status, latency, values[:])
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for key, b := range groups {
			if err := fn(key.day, key.source, b.columns()); err != nil {
				return err
			}
			b.reset()
			spare = append(spare, b)
			delete(groups, key)
		}
		if n < exportRowsPage {
			return nil
		}
	}
}

// A columnsBuilder makes columns of requests added one at a time, with
// their methods, paths and dimensions' values in dictionaries, as a
// block's.
type columnsBuilder struct {
	cols           blockColumns
	methods, paths map[string]uint32
	dims           [MaxDimensions]map[string]uint32
}

// setDimensions sets how many dimensions the requests added have.
func (b *columnsBuilder) setDimensions(n int) {
	b.cols.dims = resize(b.cols.dims, n)
	for d := range n {
		if b.dims[d] == nil {
			b.dims[d] = make(map[string]uint32)
		}
	}
}

// add adds a request; dims holds its dimensions' values, of which the
// first as many as setDimensions said are kept.
func (b *columnsBuilder) add(offset, ts int64, method, path string, status int, latencyUS int64, dims []string) {
	c := &b.cols
	if b.methods == nil {
		b.methods, b.paths = make(map[string]uint32), make(map[string]uint32)
	}
	c.n++
	c.offsets = append(c.offsets, offset)
	c.times = append(c.times, ts)
	c.latencies = append(c.latencies, latencyUS)
	c.statuses = append(c.statuses, uint16(status))
	c.methodIdx = append(c.methodIdx, dictIndex(b.methods, &c.methods, method))
	c.pathIdx = append(c.pathIdx, dictIndex(b.paths, &c.paths, path))
	for d := range c.dims {
		dim := &c.dims[d]
		dim.idx = append(dim.idx, dictIndex(b.dims[d], &dim.values, dims[d]))
	}
}

// dictIndex returns the index of s in the dictionary values, whose
// indexes are in ids, adding it when it is new.
func dictIndex(ids map[string]uint32, values *[]string, s string) uint32 {
	i, ok := ids[s]
	if !ok {
		i = uint32(len(*values))
		ids[s] = i
		*values = append(*values, s)
	}
	return i
}

func (b *columnsBuilder) columns() *blockColumns { return &b.cols }

func (b *columnsBuilder) reset() {
	c := &b.cols
	c.n = 0
	c.offsets, c.times, c.latencies, c.statuses = c.offsets[:0], c.times[:0], c.latencies[:0], c.statuses[:0]
	c.methods, c.methodIdx, c.paths, c.pathIdx = c.methods[:0], c.methodIdx[:0], c.paths[:0], c.pathIdx[:0]
	clear(b.methods)
	clear(b.paths)
	for d := range c.dims {
		c.dims[d].values, c.dims[d].idx = c.dims[d].values[:0], c.dims[d].idx[:0]
		clear(b.dims[d])
	}
}

// sourceDimensions returns the names of each source's dimensions, by
// source, as the ledger records them (sources without any are left out).
func (s *rawStore) sourceDimensions(ctx context.Context) (map[int64][]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT source_id, dimensions FROM logstats_source_formats WHERE dimensions <> ''`)
	if err != nil {
		return nil, fmt.Errorf("read the sources' dimensions: %w", err)
	}
	defer rows.Close()
	out := make(map[int64][]string)
	for rows.Next() {
		var id int64
		var text string
		if err := rows.Scan(&id, &text); err != nil {
			return nil, fmt.Errorf("read the sources' dimensions: %w", err)
		}
		out[id] = dimensionNames(text)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the sources' dimensions: %w", err)
	}
	return out, nil
}

// DimensionNames returns the names of the dimensions the sources of db
// were loaded with (SPEC §14), each once, sorted: the keys that
// breakdowns and filters accept besides the built-in ones, and the
// dimension columns of a CSV export.
func DimensionNames(ctx context.Context, db *sql.DB) ([]string, error) {
	store := &rawStore{db: db}
	dims, err := store.sourceDimensions(ctx)
	if err != nil {
		return nil, classify(driverOf(db), err)
	}
	return dimensionUnion(nil, dims), nil
}

// dimensionUnion adds the names of dims to names, each once, and sorts
// them.
func dimensionUnion(names []string, dims map[int64][]string) []string {
	for _, list := range dims {
		for _, name := range list {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return names
}
