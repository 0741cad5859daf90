package logstats

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"runtime"
	"slices"
)

// FleetFilter chooses the range, the order and the page of a fleet query
// (SPEC §15).
type FleetFilter struct {
	// From is the first day (of the day zone); it is required.
	From Date
	// To is the last day (of the day zone), inclusive; nil means no end.
	To *Date
	// Percentiles are extra latency percentiles to compute for each
	// customer, beyond the median and p99.
	Percentiles []Percentile
	// Failed says which status classes count as failed; zero means the
	// service's Failed.
	Failed FailedStatuses
	// Sort is the field of the customers' stats they are ordered by, as
	// BreakdownFilter.Sort names it (default "total_requests"). Customers
	// without the figure come last; ties are ordered by id.
	Sort string
	// Ascending orders from the smallest value up; the default is from
	// the largest down.
	Ascending bool
	// Limit is how many customers to return, 1 to MaxFleetLimit; 0 means
	// DefaultFleetLimit. Offset is how many to skip first.
	Limit, Offset int
	// Customer, when set, narrows the fleet to this customer (what a
	// customer's key may see).
	Customer *string
	// Breached narrows the fleet to the customers with an objective not
	// met over the range (slo=breached).
	Breached bool
}

// SortSLORemaining is the FleetFilter.Sort that orders customers by the
// smallest remaining budget of their objectives (ObjectiveStatus.Remaining),
// an objective that allowed no failure and had some counting as the
// smallest of all; customers without a budget come last.
const SortSLORemaining = "slo_remaining"

// Bounds of FleetFilter.Limit.
const (
	DefaultFleetLimit = 100
	MaxFleetLimit     = 10_000
)

// A Fleet is every customer with requests in a range of days, each with
// its stats over the range, ordered and paged as its filter asked.
type Fleet struct {
	DayZone string // the zone the days are cut in
	From    Date   // the filter's From
	To      *Date  // the filter's To; nil for no end
	// Failed is which status classes were counted as failed.
	Failed FailedStatuses
	// TotalCustomers is how many customers have requests in the range;
	// Customers holds the page of them the filter asked for.
	TotalCustomers int
	Customers      []FleetCustomer
}

// A FleetCustomer is a customer's stats over a fleet's range.
type FleetCustomer struct {
	CustomerID string
	// FirstDay and LastDay are its first and last days with requests in
	// the range.
	FirstDay, LastDay Date
	Stats             Stats
	// Objectives are how its objectives fare over the range; nil when it
	// has none.
	Objectives []ObjectiveStatus
}

// minRemaining returns the smallest remaining budget of c's objectives,
// in thousandths (math.MinInt64 for one that allowed no failure and had
// some); false when none has one.
func (c *FleetCustomer) minRemaining() (int64, bool) {
	var least int64
	found := false
	for _, o := range c.Objectives {
		r, ok := o.Remaining()
		if !ok && o.Spent > 0 {
			r, ok = math.MinInt64, true // no budget, and spent: the worst
		}
		if ok && (!found || r < least) {
			least, found = r, true
		}
	}
	return least, found
}

// breached reports whether an objective of c is not met.
func (c *FleetCustomer) breached() bool {
	for _, o := range c.Objectives {
		if !o.Met {
			return true
		}
	}
	return false
}

// Fleet returns the stats of every customer with requests on the days of
// f, and how its objectives fare, ordered by f.Sort (SortSLORemaining
// included) and paged by f.Limit and f.Offset. Like FindStats
// it reads the rollups alone, so its cost grows with the customer-days of
// the range, not with the requests. Errors for a bad sort field or limit
// wrap ErrInvalidBreakdown; for a missing From or a To before it,
// ErrInvalidRange.
func (s *StatsService) Fleet(ctx context.Context, f FleetFilter) (*Fleet, error) {
	fl, err := s.fleet(ctx, f)
	return fl, classify(s.Driver, err)
}

func (s *StatsService) fleet(ctx context.Context, f FleetFilter) (*Fleet, error) {
	switch {
	case f.From.IsZero():
		return nil, fmt.Errorf("%w: the fleet needs its first day (from)", ErrInvalidRange)
	case f.To != nil && f.To.Before(f.From):
		return nil, fmt.Errorf("%w: to (%s) is before from (%s)", ErrInvalidRange, f.To, f.From)
	case f.Offset < 0:
		return nil, fmt.Errorf("%w: offset %d is negative", ErrInvalidBreakdown, f.Offset)
	}
	limit, err := pageLimit(f.Limit, DefaultFleetLimit, MaxFleetLimit)
	if err != nil {
		return nil, err
	}
	var field sortField
	percentiles := f.Percentiles
	bySLO := f.Sort == SortSLORemaining
	if !bySLO {
		if field, percentiles, err = parseSort(f.Sort, f.Percentiles); err != nil {
			return nil, err
		}
	}
	zone, err := s.zoneName(ctx)
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	out := &Fleet{DayZone: zone, From: f.From, To: f.To, Failed: f.Failed.or(s.Failed)}
	all, err := s.fleetStats(ctx, f, percentiles, out.Failed)
	if err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	if f.Breached {
		all = slices.DeleteFunc(all, func(c FleetCustomer) bool { return !c.breached() })
	}
	if bySLO {
		// The key once a customer: it rounds in rationals.
		type keyed struct {
			c         FleetCustomer
			least     int64
			hasBudget bool
		}
		ks := make([]keyed, len(all))
		for i := range all {
			ks[i].c = all[i]
			ks[i].least, ks[i].hasBudget = all[i].minRemaining()
		}
		slices.SortFunc(ks, func(a, b keyed) int {
			return cmp.Or(compareFigures(a.least, a.hasBudget, b.least, b.hasBudget, f.Ascending), cmp.Compare(a.c.CustomerID, b.c.CustomerID))
		})
		for i := range ks {
			all[i] = ks[i].c
		}
	} else {
		slices.SortFunc(all, func(a, b FleetCustomer) int {
			return cmp.Or(field.compare(&a.Stats, &b.Stats, f.Ascending), cmp.Compare(a.CustomerID, b.CustomerID))
		})
	}
	out.TotalCustomers = len(all)
	page := all[min(f.Offset, len(all)):]
	out.Customers = page[:min(limit, len(page))]
	for i := range out.Customers {
		field.trim(&out.Customers[i].Stats, len(f.Percentiles))
	}
	return out, nil
}

// fleetStats reads the rollups of f's range, a customer after the other,
// and returns each customer's stats over the range. One goroutine reads
// the rows, handing each customer's to workers that decode and merge them
// on the other cores; only the customers in flight are held in memory.
func (s *StatsService) fleetStats(ctx context.Context, f FleetFilter, percentiles []Percentile, failed FailedStatuses) ([]FleetCustomer, error) {
	own, err := s.allObjectives(ctx)
	if err != nil {
		return nil, err
	}
	objectivesOf := func(id string) []Objective {
		if o, ok := own[id]; ok {
			return o
		}
		return s.Objectives
	}
	query := `SELECT customer_id, day, ` + rollupValueColumns + ` FROM logstats_rollups WHERE day >= ?`
	args := []any{f.From.String()}
	if f.To != nil {
		query += ` AND day <= ?`
		args = append(args, f.To.String())
	}
	if f.Customer != nil {
		query += ` AND customer_id = ?`
		args = append(args, *f.Customer)
	}
	query += ` ORDER BY customer_id, day, source_id, seq`
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	type result struct {
		customers []FleetCustomer
		err       error
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	jobs := make(chan *fleetJob, 2*workers)
	free := make(chan *fleetJob, 3*workers+1) // jobs done, their buffers to reuse
	results := make(chan result)
	for range workers {
		go func() {
			arena, release := s.arena()
			defer release()
			var res result
			for j := range jobs {
				err := j.evaluate(arena, percentiles, failed, objectivesOf(j.customer.CustomerID))
				if err != nil && res.err == nil {
					res.err = fmt.Errorf("the rollups of %s: %w", j.customer.CustomerID, err)
				}
				res.customers = append(res.customers, j.customer)
				select {
				case free <- j:
				default:
				}
			}
			results <- res
		}()
	}
	err = readFleet(rows, jobs, free)
	var out []FleetCustomer
	for range workers {
		res := <-results
		err = cmp.Or(err, res.err)
		out = append(out, res.customers...)
	}
	return out, err
}

// readFleet reads the rows of fleetStats and sends each customer's to
// jobs, which it closes, in jobs taken from free when there are some.
func readFleet(rows *sql.Rows, jobs chan<- *fleetJob, free <-chan *fleetJob) error {
	defer close(jobs)
	var cur *fleetJob
	for rows.Next() {
		var id string
		var day dayValue
		var r rollup
		var blob sql.RawBytes
		if err := scanRollupBlob(rows, &r, &blob, &id, &day); err != nil {
			return err
		}
		if cur == nil || id != cur.customer.CustomerID {
			if cur != nil {
				jobs <- cur
			}
			select {
			case cur = <-free:
				cur.rows, cur.ends, cur.buf = cur.rows[:0], cur.ends[:0], cur.buf[:0]
			default:
				cur = new(fleetJob)
			}
			cur.customer = FleetCustomer{CustomerID: id, FirstDay: day.Date}
		}
		cur.customer.LastDay = day.Date // the rows come by day
		cur.add(&r, blob)
	}
	if cur != nil {
		jobs <- cur
	}
	return rows.Err()
}

// A fleetJob is the rollup rows of one customer in a fleet's range, their
// distributions still encoded.
type fleetJob struct {
	customer FleetCustomer
	rows     []rollup // without their distributions
	ends     []int    // where each row's encoded distribution ends in buf
	buf      []byte
}

// add adds a row of counts and its encoded distribution, which it copies.
func (j *fleetJob) add(r *rollup, blob []byte) {
	j.rows = append(j.rows, *r)
	j.buf = append(j.buf, blob...)
	j.ends = append(j.ends, len(j.buf))
}

// evaluate decodes the rows' distributions, carved from arena, which it
// empties first, and sets the customer's stats of all the rows together,
// and how its objectives fare.
func (j *fleetJob) evaluate(arena *[]int64, percentiles []Percentile, failed FailedStatuses, objectives []Objective) error {
	*arena = (*arena)[:0]
	var total rollup
	union := rankedUnion{parts: make([]rankedDist, 0, len(j.rows))}
	start := 0
	for i := range j.rows {
		r := &j.rows[i]
		dist, untimed, err := decodeDistribution(j.buf[start:j.ends[i]], r.total, arena)
		if err != nil {
			return err
		}
		start = j.ends[i]
		r.untimed = untimed
		total.mergeCounts(r)
		if dist.len() > 0 {
			union.include(dist.intoRanked())
		}
	}
	c := &j.customer
	c.Stats = total.stats(union, percentiles, failed)
	c.Objectives = evaluateAll(objectives, union, &c.Stats)
	return nil
}
