package logstats_test

import (
	"errors"
	"testing"
	"time"

	"github.com/logstats/logstats"
)

func TestParseDate(t *testing.T) {
	for _, s := range []string{"2024-10-01", "2024-02-29", "0001-01-01", "9999-12-31"} {
		d, err := logstats.ParseDate(s)
		if err != nil || d.String() != s {
			t.Fatalf("ParseDate(%q)=%v, %v", s, d, err)
		}
	}
	for _, s := range []string{"", "2024-1-01", "2023-02-29", "2024-10-01T00:00:00Z", "20241001", "2024-10-32", "yesterday"} {
		if _, err := logstats.ParseDate(s); !errors.Is(err, logstats.ErrInvalidDate) {
			t.Fatalf("ParseDate(%q) error=%v, want ErrInvalidDate", s, err)
		}
	}
}

// TestDaysSinceEpoch compares the parser's day arithmetic with package time
// over every day of years 1 to 9999.
func TestDaysSinceEpoch(t *testing.T) {
	step := 1
	if testing.Short() {
		step = 7 // still every weekday, month and leap rule, in a seventh of the time
	}
	for d := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 10000; d = d.AddDate(0, 0, step) {
		line := d.Format("2006-01-02") + " 23:59:59.5 c /p 200 0.1"
		e, err := logstats.ParseLine(line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if want := d.Add(23*time.Hour + 59*time.Minute + 59*time.Second + 500*time.Millisecond); !e.Time.Equal(want) || e.Time.Location() != time.UTC {
			t.Fatalf("%s: time %v, want %v", line, e.Time, want)
		}
	}
}
