package httpapi

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/logstats/logstats/follow"
)

// Watcher is what /metrics and /ready report of the logs a server follows;
// *follow.Follower is one.
type Watcher interface {
	Status() ([]follow.FileStatus, follow.Totals)
}

// Watch makes /metrics report w's files, read at each scrape:
//
//   - logstats_watch_lines_total{file}, logstats_watch_inserted_total{file}:
//     lines read from each followed file, and requests loaded from them;
//   - logstats_watch_lag_bytes{file}: bytes of the file not committed yet;
//   - logstats_watch_lag_seconds{file}: how long the oldest of them has
//     waited;
//   - logstats_watch_lost_bytes_total: bytes rotations took before they
//     were read (see follow.Totals);
//   - logstats_watch_refused_bytes{file}: bytes of the file whose load was
//     refused (edited after it was loaded, another format: see /ready);
//   - logstats_watch_refused_bytes_total: those of all files, those no
//     longer followed included (see follow.Totals);
//   - logstats_watch_rounds_total: rounds of the follower.
func (m *Metrics) Watch(w Watcher) {
	m.registry.MustRegister(watchCollector{w})
}

var (
	watchLinesDesc    = prometheus.NewDesc("logstats_watch_lines_total", "Lines read from a followed file.", []string{"file"}, nil)
	watchInsertedDesc = prometheus.NewDesc("logstats_watch_inserted_total", "Requests loaded from a followed file.", []string{"file"}, nil)
	watchLagBytesDesc = prometheus.NewDesc("logstats_watch_lag_bytes", "Bytes of a followed file not committed yet.", []string{"file"}, nil)
	watchLagSecsDesc  = prometheus.NewDesc("logstats_watch_lag_seconds", "How long the oldest bytes of a followed file not committed yet have waited.", []string{"file"}, nil)
	watchLostDesc     = prometheus.NewDesc("logstats_watch_lost_bytes_total", "Bytes that rotations took away before they were read.", nil, nil)
	watchRefusedDesc  = prometheus.NewDesc("logstats_watch_refused_bytes", "Bytes of a followed file whose load was refused until the file changes.", []string{"file"}, nil)
	watchRefusedTotal = prometheus.NewDesc("logstats_watch_refused_bytes_total", "Bytes of followed files whose load was refused, of the files no longer followed included.", nil, nil)
	watchRoundsDesc   = prometheus.NewDesc("logstats_watch_rounds_total", "Rounds of the follower: checks of every followed file.", nil, nil)
)

type watchCollector struct{ w Watcher }

func (c watchCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{watchLinesDesc, watchInsertedDesc, watchLagBytesDesc, watchLagSecsDesc, watchLostDesc, watchRefusedDesc, watchRefusedTotal, watchRoundsDesc} {
		ch <- d
	}
}

func (c watchCollector) Collect(ch chan<- prometheus.Metric) {
	files, totals := c.w.Status()
	for _, f := range files {
		ch <- prometheus.MustNewConstMetric(watchLinesDesc, prometheus.CounterValue, float64(f.Lines), f.Path)
		ch <- prometheus.MustNewConstMetric(watchInsertedDesc, prometheus.CounterValue, float64(f.Inserted), f.Path)
		ch <- prometheus.MustNewConstMetric(watchLagBytesDesc, prometheus.GaugeValue, float64(f.LagBytes), f.Path)
		ch <- prometheus.MustNewConstMetric(watchLagSecsDesc, prometheus.GaugeValue, f.LagSeconds, f.Path)
		ch <- prometheus.MustNewConstMetric(watchRefusedDesc, prometheus.GaugeValue, float64(f.RefusedBytes), f.Path)
	}
	ch <- prometheus.MustNewConstMetric(watchRefusedTotal, prometheus.GaugeValue, float64(totals.RefusedBytes))
	ch <- prometheus.MustNewConstMetric(watchLostDesc, prometheus.CounterValue, float64(totals.LostBytes))
	ch <- prometheus.MustNewConstMetric(watchRoundsDesc, prometheus.CounterValue, float64(totals.Rounds))
}
