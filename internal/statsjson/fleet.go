package statsjson

import (
	"strconv"

	"github.com/logstats/logstats"
)

// AppendFleet appends the JSON of a fleet (SPEC §15):
//
//	{"day_zone": ..., "from_date": ..., "to_date": ... or null, "failed_statuses": "4xx,5xx",
//	 "total_customers": N,
//	 "customers": [{"customer_id": ..., "first_day": ..., "last_day": ..., "stats": STATS, "slo": [...]}, ...]}
//
// where first_day and last_day are the customer's first and last days with
// requests in the range, STATS is as in a stats answer and slo is how the
// customer's objectives fare (see appendObjectives), when it has some.
func AppendFleet(b []byte, fl *logstats.Fleet, percentiles []logstats.Percentile) []byte {
	b = append(b, `{"day_zone":`...)
	b = appendJSONString(b, fl.DayZone)
	b = appendRange(b, fl.From, fl.To)
	b = append(b, `,"failed_statuses":"`...)
	b = append(b, fl.Failed.String()...)
	b = append(b, `","total_customers":`...)
	b = strconv.AppendInt(b, int64(fl.TotalCustomers), 10)
	b = append(b, `,"customers":[`...)
	for i := range fl.Customers {
		c := &fl.Customers[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"customer_id":`...)
		b = appendJSONString(b, c.CustomerID)
		b = append(b, `,"first_day":"`...)
		b = appendDate(b, c.FirstDay)
		b = append(b, `","last_day":"`...)
		b = appendDate(b, c.LastDay)
		b = append(b, `","stats":{`...)
		b = AppendFields(b, &c.Stats, percentiles)
		b = append(b, '}')
		b = appendObjectives(b, c.Objectives)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}
