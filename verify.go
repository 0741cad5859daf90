package logstats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// DefaultVerifyBatch is how many raw requests Verify reads a query.
const DefaultVerifyBatch = 10_000

// VerifyOptions are Verify's settings.
type VerifyOptions struct {
	// Dialect is db's dialect; DialectUnknown detects it (see
	// DetectDialect).
	Dialect Dialect
	// Batch is how many raw requests a query reads. Default
	// DefaultVerifyBatch.
	Batch int
	// InDoubtWait is how long Verify waits, when it finds XA transactions
	// prepared, before it looks again: only those still there are in doubt,
	// since a commit in flight (of another database on the same server,
	// say) shows as prepared for a moment. Default DefaultInDoubtWait;
	// negative: no second look.
	InDoubtWait time.Duration
}

// DefaultInDoubtWait is VerifyOptions.InDoubtWait's default.
const DefaultInDoubtWait = 2 * time.Second

// A VerifyReport is what Verify found.
type VerifyReport struct {
	// Sources is how many sources the ledger has; Uncounted how many of
	// them were loaded before their requests were counted (migration 0006),
	// so that only their offsets could be checked.
	Sources   int64 `json:"sources"`
	Uncounted int64 `json:"sources_uncounted"`
	// Requests is how many raw requests were read; Days how many
	// customer-days' rollups were compared with them.
	Requests int64 `json:"requests"`
	Days     int64 `json:"customer_days"`
	// Discrepancies lists what is not consistent, in the order found.
	Discrepancies []Discrepancy `json:"discrepancies"`
}

// OK reports whether Verify found nothing wrong.
func (r *VerifyReport) OK() bool { return len(r.Discrepancies) == 0 }

// A Discrepancy is one thing Verify found inconsistent: a source whose raw
// requests are not what its ledger row says, a customer-day whose rollup is
// not the recomputation of its raw requests, or a transaction in doubt.
type Discrepancy struct {
	// Kind is "source", "rollup", "block" or "in-doubt".
	Kind string `json:"kind"`
	// The source (Kind "source"), or the customer and day (Kind "rollup"),
	// or the block's customer, day, source and first offset (Kind "block"),
	// or the XA transaction's id (Kind "in-doubt").
	SourceID int64  `json:"source_id,omitempty"`
	Source   string `json:"source,omitempty"`
	Customer string `json:"customer,omitempty"`
	Day      string `json:"day,omitempty"`
	Offset   int64  `json:"offset,omitempty"`
	XID      string `json:"xid,omitempty"`
	// Expected and Found say what differs.
	Expected string `json:"expected"`
	Found    string `json:"found"`
}

func (d Discrepancy) String() string {
	switch d.Kind {
	case "source":
		return fmt.Sprintf("source %s (id %d): expected %s, found %s", d.Source, d.SourceID, d.Expected, d.Found)
	case "rollup":
		return fmt.Sprintf("rollup of %s on %s: expected %s (recomputed from the raw requests), found %s", d.Customer, d.Day, d.Expected, d.Found)
	case "block":
		return fmt.Sprintf("block of %s on %s from source %d at offset %d: expected %s, found %s", d.Customer, d.Day, d.SourceID, d.Offset, d.Expected, d.Found)
	}
	return fmt.Sprintf("%s %s: expected %s, found %s", d.Kind, d.XID, d.Expected, d.Found)
}

// Verify checks that db is consistent: every source's raw requests are
// those its ledger row counts (committed, less pruned) and lie before its
// committed offset; every customer-day's rollup equals its recomputation
// from the raw requests; no XA transaction is in doubt (MySQL). It is what
// to run after a crash, a restore or a migration. It reads the raw
// requests in batches of opts.Batch, a customer at a time (its days'
// distributions are held while it is read), and changes nothing. An error
// means it could not check; discrepancies are in the report.
func Verify(ctx context.Context, db *sql.DB, opts VerifyOptions) (*VerifyReport, error) {
	rep, err := verify(ctx, db, opts)
	return rep, classify(driverOf(db), err)
}

// ledgerRow is a source as Verify compares it.
type ledgerRow struct {
	name              string
	offset, requests  int64 // requests: -1 when not counted
	pruned            int64
	found, lastOffset int64 // what the raw requests hold
}

func verify(ctx context.Context, db *sql.DB, opts VerifyOptions) (*VerifyReport, error) {
	d, err := resolveDialect(db, opts.Dialect)
	if err != nil {
		return nil, err
	}
	batch := opts.Batch
	if batch <= 0 {
		batch = DefaultVerifyBatch
	}
	rep := &VerifyReport{Discrepancies: []Discrepancy{}}
	sources, err := readLedger(ctx, db, rep)
	if err != nil {
		return nil, err
	}
	store, err := openRawStore(ctx, db, d) // its day zone too
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	v := &verifier{db: db, store: store, rep: rep, sources: sources, seen: map[string]bool{}}
	if err := v.scanRequests(ctx, batch); err != nil {
		return nil, fmt.Errorf("verify: read the raw requests: %w", err)
	}
	if err := v.rollupsWithoutRequests(ctx); err != nil {
		return nil, fmt.Errorf("verify: read the rollups: %w", err)
	}
	ids := make([]int64, 0, len(sources))
	for id := range sources {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		s := sources[id]
		add := func(expected, found string) {
			rep.Discrepancies = append(rep.Discrepancies, Discrepancy{Kind: "source", SourceID: id, Source: s.name, Expected: expected, Found: found})
		}
		if store.mode != RawNone && s.requests >= 0 && s.found != s.requests-s.pruned {
			add(fmt.Sprintf("%d raw requests (%d committed, %d pruned)", s.requests-s.pruned, s.requests, s.pruned), fmt.Sprintf("%d", s.found))
		}
		if s.offset < 0 {
			add("the source loaded, or forgotten", "being forgotten: a Forget of it stopped before it finished (its raw requests and rollups are consistent); run it again")
			continue
		}
		if s.found > 0 && s.lastOffset >= s.offset {
			add(fmt.Sprintf("raw requests before the committed offset %d", s.offset), fmt.Sprintf("one at offset %d", s.lastOffset))
		}
	}
	if d == DialectMySQL {
		found, err := stillInDoubt(ctx, db, opts.InDoubtWait)
		if err != nil {
			return nil, err
		}
		rep.Discrepancies = append(rep.Discrepancies, found...)
	}
	return rep, nil
}

// stillInDoubt returns the XA transactions in doubt: prepared on the server
// (and those db's driver reports, as an InDoubtReporter) when first looked
// at, and still after wait.
func stillInDoubt(ctx context.Context, db *sql.DB, wait time.Duration) ([]Discrepancy, error) {
	reporter, _ := driverOf(db).(InDoubtReporter)
	look := func() ([]Discrepancy, error) {
		var found []Discrepancy
		if err := inDoubt(ctx, db, &found); err != nil {
			return nil, fmt.Errorf("verify: XA RECOVER: %w", err)
		}
		if reporter != nil {
			more, err := reporter.InDoubt(ctx, db)
			if err != nil {
				return nil, fmt.Errorf("verify: the transactions in doubt elsewhere: %w", err)
			}
			found = append(found, more...)
		}
		return found, nil
	}
	first, err := look()
	if err != nil || len(first) == 0 || wait < 0 {
		return first, err
	}
	if wait == 0 {
		wait = DefaultInDoubtWait
	}
	select {
	case <-time.After(wait):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	again, err := look()
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(again))
	for _, d := range again {
		seen[d.XID] = true
	}
	var stuck []Discrepancy
	for _, d := range first {
		if seen[d.XID] {
			stuck = append(stuck, d)
		}
	}
	return stuck, nil
}

// readLedger reads the sources' ledger rows.
func readLedger(ctx context.Context, db *sql.DB, rep *VerifyReport) (map[int64]*ledgerRow, error) {
	rows, err := db.QueryContext(ctx, `SELECT source_id, name, committed_offset, committed_requests, pruned_requests FROM logstats_sources`)
	if err != nil {
		return nil, fmt.Errorf("verify: read the ledger (has Migrate run?): %w", err)
	}
	defer rows.Close()
	sources := make(map[int64]*ledgerRow)
	for rows.Next() {
		var id int64
		s := &ledgerRow{}
		if err := rows.Scan(&id, &s.name, &s.offset, &s.requests, &s.pruned); err != nil {
			return nil, fmt.Errorf("verify: read the ledger: %w", err)
		}
		sources[id] = s
		rep.Sources++
		if s.requests < 0 {
			rep.Uncounted++
		}
	}
	return sources, rows.Err()
}

// A verifier reads the raw requests in key order (customer, source, offset)
// and compares each customer's days with its rollups.
type verifier struct {
	db      *sql.DB
	store   *rawStore
	rep     *VerifyReport
	sources map[int64]*ledgerRow
	seen    map[string]bool // customers with raw requests
	// The customer being read, and its days recomputed (nil: none).
	customer string
	days     map[int64]*dayGroup
	// dims are the names of each source's dimensions, read with the first
	// blocks.
	dims map[int64][]string
}

// scanRequests reads the raw requests a customer at a time (the next
// customer found with MIN), each in key order. Through a sharded head an
// ordered scan across customers (partitions) with a LIMIT can skip and
// repeat rows (MariaDB 10.11); within a customer it reads one partition.
func (v *verifier) scanRequests(ctx context.Context, batch int) error {
	customer, ok, err := v.store.nextCustomer(ctx, "", true)
	for ; ok && err == nil; customer, ok, err = v.store.nextCustomer(ctx, customer, false) {
		v.customer, v.days, v.seen[customer] = customer, make(map[int64]*dayGroup), true
		if v.store.mode == RawBlocks {
			err = v.scanBlocks(ctx, customer)
		} else {
			err = v.scanRows(ctx, customer, batch)
		}
		if err != nil {
			return err
		}
		if err := v.finishCustomer(ctx); err != nil {
			return err
		}
	}
	return err
}

// scanRows reads the raw rows of customer, batch rows a query.
func (v *verifier) scanRows(ctx context.Context, customer string, batch int) error {
	var lastSource, lastOffset int64 = -1 << 63, -1 << 63
	for {
		rows, err := v.db.QueryContext(ctx, `SELECT source_id, src_offset, ts_us, status, latency_us FROM logstats_raw_requests
			WHERE customer_id = ? AND (source_id > ? OR (source_id = ? AND src_offset > ?))
			ORDER BY source_id, src_offset LIMIT ?`,
			customer, lastSource, lastSource, lastOffset, batch)
		if err != nil {
			return err
		}
		n := 0
		for rows.Next() {
			var source, offset, ts, latency int64
			var status int
			if err := rows.Scan(&source, &offset, &ts, &status, &latency); err != nil {
				rows.Close()
				return err
			}
			n++
			lastSource, lastOffset = source, offset
			v.add(source, offset, ts, status, latency)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if n < batch {
			return nil
		}
	}
}

// scanBlocks reads the blocks of customer. A block that cannot be decoded,
// or whose requests are not what its row says, is a discrepancy, and its
// requests are not counted.
func (v *verifier) scanBlocks(ctx context.Context, customer string) error {
	if v.dims == nil {
		var err error
		if v.dims, err = v.store.sourceDimensions(ctx); err != nil {
			return err
		}
	}
	var cols blockColumns
	return v.store.scanBlockRows(ctx, customer, "", nil, func(b *storedBlock) error {
		if err := b.decode(&cols, v.store.zone); err != nil {
			v.rep.Discrepancies = append(v.rep.Discrepancies, Discrepancy{Kind: "block", SourceID: b.source, Customer: customer,
				Day: b.day.String(), Offset: b.first, Expected: "a block that decodes to the requests its row says", Found: err.Error()})
			return nil
		}
		if want := len(v.dims[b.source]); len(cols.dims) != want {
			v.rep.Discrepancies = append(v.rep.Discrepancies, Discrepancy{Kind: "block", SourceID: b.source, Customer: customer,
				Day: b.day.String(), Offset: b.first, Expected: fmt.Sprintf("%d dimension columns, as many as its source's ledger row names", want),
				Found: fmt.Sprintf("%d", len(cols.dims))})
		}
		for i := range cols.len() {
			v.add(b.source, cols.offsets[i], cols.times[i], int(cols.statuses[i]), cols.latencies[i])
		}
		return nil
	})
}

// add counts one raw request.
func (v *verifier) add(source, offset, ts int64, status int, latency int64) {
	v.rep.Requests++
	s := v.sources[source]
	if s == nil {
		s = &ledgerRow{name: "(not in the ledger)", offset: 0, requests: 0}
		v.sources[source] = s
	}
	s.found++
	s.lastOffset = max(s.lastOffset, offset)
	day := dayNumber(ts, v.store.zone)
	g := v.days[day]
	if g == nil {
		g = &dayGroup{key: dayKey{v.customer, day}, hist: make(histogram)}
		v.days[day] = g
	}
	if status < 100 || status > 599 {
		status = 100 // counted as 1xx here; the rollup cannot hold it, so they differ
	}
	g.r.add(status, latency)
	if latency >= 0 {
		g.hist[latency]++
	}
}

// finishCustomer compares the days recomputed of the customer just read
// with its rollups.
func (v *verifier) finishCustomer(ctx context.Context) error {
	if v.days == nil {
		return nil
	}
	stored, unreadable, err := v.storedDays(ctx, v.customer)
	if err != nil {
		return err
	}
	keys := make([]int64, 0, len(v.days))
	for k := range v.days {
		keys = append(keys, k)
	}
	for k := range stored {
		if v.days[k] == nil {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v.rep.Days++
		var want rollup
		if g := v.days[k]; g != nil {
			want = g.r
			want.dist = g.hist.distribution()
		}
		got := stored[k]
		if got == nil {
			got = &rollup{}
		}
		found := got.describe()
		if err := unreadable[k]; err != nil {
			found = "a rollup row that cannot be read: " + err.Error()
		} else if v.store.mode == RawNone || want.equal(got) {
			continue // none: no raw request to recompute it from
		}
		v.rep.Discrepancies = append(v.rep.Discrepancies, Discrepancy{Kind: "rollup", Customer: v.customer,
			Day: dayKey{v.customer, k}.date().String(), Expected: want.describe(), Found: found})
	}
	v.days = nil
	return nil
}

// storedDays reads and merges the rollups of customer, by day; a day with
// a row that cannot be decoded is in unreadable, with the error.
func (v *verifier) storedDays(ctx context.Context, customer string) (days map[int64]*rollup, unreadable map[int64]error, err error) {
	rows, err := v.db.QueryContext(ctx, `SELECT day, `+rollupValueColumns+` FROM logstats_rollups WHERE customer_id = ?`, customer)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	days, unreadable = make(map[int64]*rollup), make(map[int64]error)
	for rows.Next() {
		var day dayValue
		var r rollup
		err := scanRollup(rows, &r, nil, &day)
		if err != nil && !errors.Is(err, ErrCorruptRollup) {
			return nil, nil, err
		}
		k := daysSinceEpoch(day.Date)
		if days[k] == nil {
			days[k] = &rollup{}
		}
		if err != nil {
			unreadable[k] = err
			continue
		}
		days[k].merge(&r)
	}
	return days, unreadable, rows.Err()
}

// rollupsWithoutRequests compares the rollups of customers that have no raw
// request left (a customer whose raw requests were all lost, or a prune
// that stopped between them and their rollups) with nothing.
func (v *verifier) rollupsWithoutRequests(ctx context.Context) error {
	after := ""
	for {
		// A count, not a DISTINCT (see oldDays in prune.go).
		rows, err := v.db.QueryContext(ctx, `SELECT customer_id, COUNT(*) FROM logstats_rollups WHERE customer_id > ?
			GROUP BY customer_id ORDER BY customer_id LIMIT 1000`, after)
		if err != nil {
			return err
		}
		var customers []string
		for rows.Next() {
			var c string
			var n int64
			if err := rows.Scan(&c, &n); err != nil {
				rows.Close()
				return err
			}
			customers = append(customers, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range customers {
			if !v.seen[c] {
				v.customer, v.days = c, map[int64]*dayGroup{}
				if err := v.finishCustomer(ctx); err != nil {
					return err
				}
			}
		}
		if len(customers) < 1000 {
			return nil
		}
		after = customers[len(customers)-1]
	}
}

// inDoubt lists the XA transactions the server holds prepared.
func inDoubt(ctx context.Context, db *sql.DB, found *[]Discrepancy) error {
	rows, err := db.QueryContext(ctx, `XA RECOVER`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var format, gtridLen, bqualLen int64
		var data []byte
		if err := rows.Scan(&format, &gtridLen, &bqualLen, &data); err != nil {
			return err
		}
		*found = append(*found, Discrepancy{Kind: "in-doubt", XID: strconv.Quote(string(data)),
			Expected: "no prepared XA transaction", Found: "prepared, neither committed nor rolled back (XA COMMIT or XA ROLLBACK it, as its coordinator decided)"})
	}
	return rows.Err()
}

// equal reports whether r and o count the same requests.
func (r *rollup) equal(o *rollup) bool {
	return r.total == o.total && r.untimed == o.untimed && r.byClass == o.byClass && r.sumUS == o.sumUS &&
		(r.timed() == 0 || r.minUS == o.minUS && r.maxUS == o.maxUS) &&
		slices.Equal(r.dist.values, o.dist.values) && slices.Equal(r.dist.counts, o.dist.counts)
}

// describe says what r counts, for a report.
func (r *rollup) describe() string {
	if r.total == 0 {
		return "no requests"
	}
	untimed := ""
	if r.untimed > 0 {
		untimed = fmt.Sprintf(", %d without a latency", r.untimed)
	}
	return fmt.Sprintf("%d requests (%d/%d/%d/%d/%d by class%s), latency sum %dus min %dus max %dus, %d distinct latencies",
		r.total, r.byClass[0], r.byClass[1], r.byClass[2], r.byClass[3], r.byClass[4], untimed, r.sumUS.lo, r.minUS, r.maxUS, r.dist.len())
}
