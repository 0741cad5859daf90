package logstats

import (
	"fmt"
	"time"
)

// Date is a calendar day. In statistics it is a day of the database's day zone
// (see DayZone), UTC unless one was recorded.
// The zero Date means "unset".
type Date struct {
	Year  int        // the year, such as 2024
	Month time.Month // January is 1
	Day   int        // the day of the month, from 1
}

// ParseDate parses a date in the form YYYY-MM-DD. It returns an error wrapping
// [ErrInvalidDate] unless s is a real calendar date.
func ParseDate(s string) (Date, error) {
	d, ok := parseDateBytes([]byte(s))
	if !ok {
		return Date{}, fmt.Errorf("%w: %q (want YYYY-MM-DD, a real calendar date)", ErrInvalidDate, truncateForMessage(s))
	}
	return d, nil
}

// DateIn returns the calendar day of t in loc (nil: UTC).
func DateIn(t time.Time, loc *time.Location) Date {
	if loc != nil && loc != time.UTC {
		t = t.In(loc)
	} else {
		t = t.UTC()
	}
	return Date{t.Year(), t.Month(), t.Day()}
}

// dayStart returns the first instant of day d in loc.
func dayStart(d Date, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// DateOf returns the UTC calendar day of t.
func DateOf(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return Date{y, m, d}
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	var b [10]byte
	out, _ := d.AppendText(b[:0])
	return string(out)
}

// AppendText appends d as YYYY-MM-DD (nothing for the zero Date), as
// [encoding.TextAppender] does.
func (d Date) AppendText(b []byte) ([]byte, error) {
	if d.IsZero() {
		return b, nil
	}
	if d.Year < 0 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 31 {
		return fmt.Appendf(b, "%04d-%02d-%02d", d.Year, d.Month, d.Day), nil
	}
	y, m, day := d.Year, int(d.Month), d.Day
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10%10), byte('0'+m%10), '-', byte('0'+day/10%10), byte('0'+day%10)), nil
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Time returns midnight UTC at the start of d.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// AddDays returns d plus n days (n may be negative).
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(int(d.Month), int(e.Month))
	default:
		return cmpInt(d.Day, e.Day)
	}
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// MarshalText implements [encoding.TextMarshaler] (YYYY-MM-DD).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler] (YYYY-MM-DD).
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// parseDateBytes parses YYYY-MM-DD and checks that it is a real calendar date.
func parseDateBytes(b []byte) (Date, bool) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return Date{}, false
	}
	y, ok1 := digits(b[0:4])
	m, ok2 := digits(b[5:7])
	d, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 || y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return Date{}, false
	}
	return Date{y, time.Month(m), d}, true
}

// daysSinceEpoch returns the days from 1970-01-01 to d in the proleptic
// Gregorian calendar (Howard Hinnant's days_from_civil).
func daysSinceEpoch(d Date) int64 {
	y, m := int64(d.Year), int64(d.Month)
	if m <= 2 {
		y--
	}
	era := y / 400 // y >= 0: years 1-9999
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + int64(d.Day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// dayValue scans a day column: a DATE from MySQL arrives as []byte, or as a
// time.Time when the DSN has parseTime=true; SQLite's is TEXT.
type dayValue struct{ Date Date }

func (v *dayValue) Scan(src any) error {
	var s string
	switch x := src.(type) {
	case time.Time:
		v.Date = Date{x.Year(), x.Month(), x.Day()}
		return nil
	case []byte:
		s = string(x)
	case string:
		s = x
	default:
		return fmt.Errorf("%w: day column of type %T", ErrCorruptRollup, src)
	}
	if len(s) > 10 {
		s = s[:10]
	}
	d, err := ParseDate(s)
	if err != nil {
		// Stored data, not the caller's input: not KindInvalid.
		return fmt.Errorf("%w: day column %q: %v", ErrCorruptRollup, s, err)
	}
	v.Date = d
	return nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
