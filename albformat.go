package logstats

// albTemplate is the template of an AWS Application Load Balancer access
// log line, up to its user agent; the fields after it (AWS adds some over
// the years) are not read. The latency is the sum of the three processing
// times that are not -1 (-1: the request was not dispatched, or the
// connection closed); the status is the load balancer's.
func albTemplate() (*template, error) {
	var b templateBuilder
	for _, f := range []struct {
		kind      fieldKind
		name, lit string
	}{
		{fieldSkip, "type", " "},
		{fieldTimeISO, "time", " "},
		{fieldSkip, "elb", " "},
		{fieldSkip, "client:port", " "},
		{fieldSkip, "target:port", " "},
		{fieldSecondsPart, "request_processing_time", " "},
		{fieldSecondsPart, "target_processing_time", " "},
		{fieldSecondsPart, "response_processing_time", " "},
		{fieldStatus, "elb_status_code", " "},
		{fieldSkip, "target_status_code", " "},
		{fieldSkip, "received_bytes", " "},
		{fieldSkip, "sent_bytes", ` "`},
		{fieldRequest, "request", `" "`},
		{fieldSkip, "user_agent", `"`},
	} {
		b.field(f.kind, f.name)
		b.literal(f.lit)
	}
	t, err := b.build()
	if err != nil {
		return nil, err
	}
	t.trailing = true
	return t, nil
}
