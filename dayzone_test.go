package logstats_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// TestDayZone_DST cuts days in Europe/Paris: the days of its daylight-saving
// changes have 23 and 25 hours, so a request every hour gives them 23 and 25
// requests; Prune removes the days before a date of that zone.
func TestDayZone_DST(t *testing.T) {
	paris := loadZone(t, "Europe/Paris")
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		// A service made before the zone is chosen (a server started on
		// an empty database) answers in the zone chosen later.
		stats := logstats.NewStatsService(db.DB)
		if st, err := stats.FindStats(ctx, "c", logstats.StatsFilter{}); err != nil || st.DayZone != "UTC" {
			t.Fatalf("stats before a day zone is chosen: %+v, %v; want UTC", st, err)
		}
		if err := logstats.SetDayZone(ctx, db.DB, paris); err != nil {
			t.Fatal(err)
		}
		if got, err := logstats.DayZone(ctx, db.DB); err != nil || got.String() != "Europe/Paris" {
			t.Fatalf("DayZone=%v, %v", got, err)
		}
		// A request at half past every hour (UTC) from two days before each
		// change to two days after.
		var log strings.Builder
		for _, around := range []string{"2024-03-31", "2024-10-27"} {
			mid, _ := time.Parse(time.DateOnly, around)
			for t := mid.Add(-48*time.Hour + 30*time.Minute); t.Before(mid.Add(48 * time.Hour)); t = t.Add(time.Hour) {
				fmt.Fprintf(&log, `{"time":%q,"customer_id":"c","path":"/a","status":200,"latency":0.1}`+"\n", t.Format(time.RFC3339))
			}
		}
		mustLoad(t, newIngester(db, 40), "dst.log", log.String())
		for day, want := range map[string]int64{"2024-03-30": 24, "2024-03-31": 23, "2024-04-01": 24, "2024-10-26": 24, "2024-10-27": 25, "2024-10-28": 24} {
			d := date(day)
			st, err := stats.FindStats(ctx, "c", logstats.StatsFilter{From: d, To: &d})
			if err != nil || st.Stats.TotalRequests != want || st.DayZone != "Europe/Paris" {
				t.Fatalf("%s in Paris: %+v, %v; want %d requests", day, st, err, want)
			}
		}
		res, err := newIngester(db, 40).Prune(ctx, date("2024-03-31"))
		if err != nil {
			t.Fatal(err)
		}
		// The log starts at 2024-03-29T00:30Z (01:30 in Paris): the 29th in
		// Paris has 23 of its requests, the 30th 24, up to 2024-03-30T22:30Z,
		// which is 23:30 in Paris.
		if res.Requests != 47 {
			t.Fatalf("Prune before 2024-03-31 in Paris removed %+v, want the 23+24 requests of the days before", res)
		}
		d := date("2024-03-31")
		if st, err := stats.FindStats(ctx, "c", logstats.StatsFilter{From: d, To: &d}); err != nil || st.Stats.TotalRequests != 23 {
			t.Fatalf("after Prune, 2024-03-31: %+v, %v; want its 23 requests kept", st, err)
		}
	})
}

// TestSetDayZone: the zone is chosen before the first load and kept.
func TestSetDayZone(t *testing.T) {
	paris := loadZone(t, "Europe/Paris")
	testdb.ForEach(t, func(t *testing.T, db *testdb.DB) {
		ctx := context.Background()
		fresh := db.Fresh(t)
		if err := logstats.SetDayZone(ctx, fresh.DB, paris); err != nil {
			t.Fatal(err)
		}
		if err := logstats.SetDayZone(ctx, fresh.DB, paris); err != nil {
			t.Fatalf("the same zone again: %v", err)
		}
		err := logstats.SetDayZone(ctx, fresh.DB, time.UTC)
		if !errors.Is(err, logstats.ErrDayZoneChanged) || logstats.KindOf(err) != logstats.KindConflict || !strings.Contains(err.Error(), "cuts its days in Europe/Paris") {
			t.Fatalf("another zone: %v, want ErrDayZoneChanged naming Europe/Paris", err)
		}
		// A database loaded before any zone was chosen cuts UTC days.
		mustLoad(t, newIngester(db, 100), "a.log", genLog(t, 100, 1, 0))
		if err := logstats.SetDayZone(ctx, db.DB, paris); !errors.Is(err, logstats.ErrDayZoneChanged) || !strings.Contains(err.Error(), "cuts its days in UTC") {
			t.Fatalf("a zone after data in UTC days: %v", err)
		}
		if err := logstats.SetDayZone(ctx, db.DB, time.UTC); err != nil {
			t.Fatalf("UTC after data in UTC days: %v", err)
		}
		if err := logstats.SetDayZone(ctx, db.Fresh(t).DB, time.Local); !errors.Is(err, logstats.ErrInvalidDayZone) {
			t.Fatalf("Local: %v, want ErrInvalidDayZone", err)
		}
	})
}

// loadZone loads an IANA zone; Go's own zoneinfo.zip is the fallback when
// the system has none, so it fails only on a broken installation.
func loadZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
