package statsjson

import (
	"strconv"

	"github.com/logstats/logstats"
)

// AppendBreakdown appends the JSON of a breakdown:
//
//	{"customer_id": ..., "day_zone": ..., "from_date": ..., "to_date": ... or null,
//	 "failed_statuses": "4xx,5xx", "by": ["method", "route"], "total_groups": N,
//	 "groups": [{"key": {"method": "GET", "route": "/v1/users/{id}"}, "stats": STATS}, ...],
//	 "other": STATS or null}
//
// where a status is a number ("status": 503) and every other key a
// string, and STATS is as in a stats answer (see appendStatsResponse).
func AppendBreakdown(b []byte, bd *logstats.Breakdown, percentiles []logstats.Percentile) []byte {
	b = appendHead(b, bd.CustomerID, bd.DayZone, bd.From, bd.To, bd.Failed)
	b = append(b, `,"by":[`...)
	for i, k := range bd.By {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
	}
	b = append(b, `],"total_groups":`...)
	b = strconv.AppendInt(b, int64(bd.TotalGroups), 10)
	b = append(b, `,"groups":[`...)
	for i := range bd.Groups {
		g := &bd.Groups[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"key":{`...)
		for j, k := range bd.By {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			if k == "status" {
				b = append(b, g.Key[j]...) // a code: digits
			} else {
				b = appendJSONString(b, g.Key[j])
			}
		}
		b = append(b, `},"stats":{`...)
		b = AppendFields(b, &g.Stats, percentiles)
		b = append(b, "}}"...)
	}
	b = append(b, `],"other":`...)
	if bd.Other == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '{')
		b = AppendFields(b, bd.Other, percentiles)
		b = append(b, '}')
	}
	return append(b, '}')
}
