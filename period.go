package logstats

import "fmt"

// An Interval is the length of the periods a stats answer is cut into
// (SPEC §15): days (the zero Interval), ISO weeks or calendar months, of
// the day zone.
type Interval uint8

// The intervals.
const (
	IntervalDay   Interval = iota // a day: CustomerStats.Daily
	IntervalWeek                  // an ISO week, Monday to Sunday
	IntervalMonth                 // a calendar month
)

// ParseInterval parses "day", "week" or "month". Errors wrap
// ErrInvalidInterval.
func ParseInterval(s string) (Interval, error) {
	for i, name := range intervalNames {
		if s == name {
			return Interval(i), nil
		}
	}
	return 0, fmt.Errorf("%w: %q: want day, week or month", ErrInvalidInterval, truncateForMessage(s))
}

var intervalNames = [...]string{"day", "week", "month"}

// String returns "day", "week" or "month".
func (i Interval) String() string {
	if int(i) < len(intervalNames) {
		return intervalNames[i]
	}
	return fmt.Sprintf("Interval(%d)", uint8(i))
}

// periodOf returns the first and last days of the period of i that holds d.
func (i Interval) periodOf(d Date) (start, end Date) {
	switch i {
	case IntervalWeek:
		back := (int(d.Time().Weekday()) + 6) % 7 // days since Monday
		start = d.AddDays(-back)
		return start, start.AddDays(6)
	case IntervalMonth:
		return Date{Year: d.Year, Month: d.Month, Day: 1}, Date{Year: d.Year, Month: d.Month, Day: daysIn(d.Month, d.Year)}
	}
	return d, d
}

// PeriodStats are the statistics of one period of an Interval, cut to the
// range asked for: Start and End are its first and last days in the range.
type PeriodStats struct {
	Start, End Date
	Stats      Stats
}

// A periodMerger adds days up into the periods of an interval, cut to a
// range; the days come in ascending order, each with its rollup and
// distribution.
type periodMerger struct {
	interval    Interval
	from        Date
	to          *Date
	percentiles []Percentile
	failed      FailedStatuses
	out         []PeriodStats
	// the period being added up
	start, end Date
	total      rollup
	union      rankedUnion
}

// add adds the day d, of rollup r and distribution rd.
func (m *periodMerger) add(d Date, r *rollup, rd rankedDist) {
	if m.total.total > 0 && m.end.Before(d) {
		m.flush()
	}
	if m.total.total == 0 {
		m.start, m.end = m.interval.periodOf(d)
	}
	m.total.mergeCounts(r)
	if len(rd.values) > 0 {
		m.union.include(rd)
	}
}

// flush ends the period being added up.
func (m *periodMerger) flush() {
	if m.total.total == 0 {
		return
	}
	start, end := m.start, m.end
	if !m.from.IsZero() && start.Before(m.from) {
		start = m.from
	}
	if m.to != nil && m.to.Before(end) {
		end = *m.to
	}
	m.out = append(m.out, PeriodStats{Start: start, End: end, Stats: m.total.stats(m.union, m.percentiles, m.failed)})
	m.total, m.union = rollup{}, rankedUnion{}
}
