package logstats

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/logstats/logstats/internal/decimal"
)

// An Objective is a promise about a customer's requests over a range of
// days (SPEC §15): "uptime>=99.9" (at least that percent of the requests
// successful) or "p99<=0.5" (at least 99 % of the timed requests took at
// most 0.5 seconds). Its target is kept as an exact decimal.
type Objective struct {
	latency bool
	// For uptime, the target percent is num / 10^scale.
	num   uint64
	scale int
	// For a latency, the percentile and the threshold in microseconds.
	percentile  Percentile
	thresholdUS int64
	text        string // canonical: "uptime>=99.9", "p99<=0.5"
}

// MaxObjectives bounds the objectives of a customer (or the defaults).
const MaxObjectives = 10

// maxObjectiveDecimals is how many decimals a target may have: a
// millionth of a percent, or a microsecond.
const maxObjectiveDecimals = 6

// maxThresholdSeconds bounds a latency target, far above any request.
const maxThresholdSeconds = 1_000_000

// ParseObjective parses one objective: "uptime>=T" with T a percent from 0
// to 100, or "pNN<=S" with NN a percentile (as ParsePercentile reads it)
// and S seconds; each with at most 6 decimals. Errors wrap
// ErrInvalidObjective.
func ParseObjective(s string) (Objective, error) {
	bad := func(why string) (Objective, error) {
		return Objective{}, fmt.Errorf("%w %q: %s", ErrInvalidObjective, truncateForMessage(s), why)
	}
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "uptime>="); ok {
		num, scale, ok := parseDecimal(rest)
		if !ok || num > 100*pow10(scale) {
			return bad("want uptime>=PERCENT, a percent from 0 to 100 with at most 6 decimals, such as uptime>=99.9")
		}
		return Objective{num: num, scale: scale, text: "uptime>=" + formatDecimal(num, scale)}, nil
	}
	if rest, ok := strings.CutPrefix(s, "p"); ok {
		pText, secText, ok := strings.Cut(rest, "<=")
		if !ok {
			return bad("want uptime>=PERCENT or pNN<=SECONDS, such as p99<=0.5")
		}
		p, err := ParsePercentile(pText)
		if err != nil {
			return bad("the percentile: want a number above 0 and at most 100, like 95 or 99.9")
		}
		num, scale, ok := parseDecimal(secText)
		if !ok || num > maxThresholdSeconds*pow10(scale) {
			return bad("want pNN<=SECONDS, seconds from 0 to 1000000 with at most 6 decimals, such as p99<=0.5")
		}
		us := int64(num * pow10(maxObjectiveDecimals-scale))
		return Objective{latency: true, percentile: p, thresholdUS: us, text: "p" + p.String() + "<=" + formatDecimal(num, scale)}, nil
	}
	return bad("want uptime>=PERCENT or pNN<=SECONDS, such as uptime>=99.9 or p99<=0.5")
}

// ParseObjectives parses a comma-separated list of objectives, at most
// MaxObjectives, none twice (as the same kind and percentile). The empty
// string is no objective.
func ParseObjectives(s string) ([]Objective, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []Objective
	for _, item := range strings.Split(s, ",") {
		o, err := ParseObjective(item)
		if err != nil {
			return nil, err
		}
		for _, p := range out {
			if p.latency == o.latency && p.percentile == o.percentile {
				return nil, fmt.Errorf("%w: %s and %s: one objective of a kind (uptime, or a percentile) at a time", ErrInvalidObjective, p, o)
			}
		}
		out = append(out, o)
	}
	if len(out) > MaxObjectives {
		return nil, fmt.Errorf("%w: %d objectives, more than the limit of %d", ErrInvalidObjective, len(out), MaxObjectives)
	}
	return out, nil
}

// FormatObjectives returns objectives as ParseObjectives reads them.
func FormatObjectives(objectives []Objective) string {
	texts := make([]string, len(objectives))
	for i, o := range objectives {
		texts[i] = o.text
	}
	return strings.Join(texts, ",")
}

// String returns the objective in canonical form: "uptime>=99.9",
// "p99<=0.5".
func (o Objective) String() string { return o.text }

// IsLatency reports whether o is a latency objective (pNN<=SECONDS).
func (o Objective) IsLatency() bool { return o.latency }

// Percentile returns the percentile of a latency objective.
func (o Objective) Percentile() Percentile { return o.percentile }

// Threshold returns the latency of a latency objective.
func (o Objective) Threshold() time.Duration {
	return time.Duration(o.thresholdUS) * time.Microsecond
}

// TargetText returns the target as a decimal: the percent of an uptime
// objective ("99.9"), the seconds of a latency one ("0.5").
func (o Objective) TargetText() string {
	_, t, _ := strings.Cut(o.text, "=")
	return t
}

// An ObjectiveStatus is how an Objective fares over a range of days.
type ObjectiveStatus struct {
	Objective Objective
	// HasActual reports whether there is an actual figure: requests, or,
	// for a latency objective, timed requests.
	HasActual bool
	// Uptime is the uptime of the range (an uptime objective), as
	// Stats.Uptime; Latency the percentile's latency (a latency one).
	Uptime  float64
	Latency time.Duration
	// Allowed is how many requests may fail the objective in the range:
	// floor(total × (100 − target) / 100) for uptime, floor(timed × (100 −
	// NN) / 100) for a latency, computed exactly. Spent is how many did:
	// the failed requests, or the timed requests slower than the
	// threshold.
	Allowed, Spent int64
	// Met is Spent <= Allowed.
	Met bool
}

// Remaining returns (Allowed − Spent) / Allowed in thousandths, rounded
// half away from zero; false when Allowed is 0.
func (s ObjectiveStatus) Remaining() (thousandths int64, ok bool) {
	if s.Allowed == 0 {
		return 0, false
	}
	left := new(big.Int).Mul(big.NewInt(1000), new(big.Int).Sub(big.NewInt(s.Allowed), big.NewInt(s.Spent)))
	return roundRat(new(big.Rat).SetFrac(left, big.NewInt(s.Allowed))), true
}

// AppendActual appends the actual figure as JSON: the uptime (a percent
// to 2 decimals) or the latency (seconds to 6), or null without one.
func (s ObjectiveStatus) AppendActual(b []byte) []byte {
	switch {
	case !s.HasActual:
		return append(b, "null"...)
	case s.Objective.latency:
		return decimal.Append(b, s.Latency.Microseconds(), 6)
	}
	return decimal.Append(b, int64(math.Round(s.Uptime*100)), 2)
}

// AppendBudget appends the budget as JSON: {"allowed": N, "spent": N,
// "remaining": the Remaining in thousandths as a decimal, or null}.
func (s ObjectiveStatus) AppendBudget(b []byte) []byte {
	b = append(b, `{"allowed":`...)
	b = strconv.AppendInt(b, s.Allowed, 10)
	b = append(b, `,"spent":`...)
	b = strconv.AppendInt(b, s.Spent, 10)
	b = append(b, `,"remaining":`...)
	if r, ok := s.Remaining(); ok {
		b = decimal.Append(b, r, 3)
	} else {
		b = append(b, "null"...)
	}
	return append(b, '}')
}

// roundRat rounds r half away from zero.
func roundRat(r *big.Rat) int64 {
	num, den := new(big.Int).Abs(r.Num()), r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if m.Lsh(m, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if r.Sign() < 0 {
		q.Neg(q)
	}
	return q.Int64()
}

// evaluate returns how o fares for requests of stats st, whose latencies
// are those of dist.
func (o Objective) evaluate(dist ranked, st *Stats) ObjectiveStatus {
	out := ObjectiveStatus{Objective: o}
	if !o.latency {
		// floor(total × (100·10^s − T) / (100·10^s)) for a target T/10^s.
		den := 100 * pow10(o.scale)
		out.Allowed = mulDivFloor(uint64(st.TotalRequests), den-o.num, den)
		out.Spent = st.FailedRequests
		out.HasActual, out.Uptime = st.TotalRequests > 0, st.Uptime
	} else {
		n := st.TimedRequests
		out.Allowed = mulDivFloor(uint64(n), o.percentile.den-o.percentile.num, o.percentile.den)
		if n > 0 {
			out.Spent = n - dist.countAtMost(o.thresholdUS)
			out.HasActual = true
			out.Latency = usDuration(quantile(dist, n, o.percentile.num, o.percentile.den))
		}
	}
	out.Met = out.Spent <= out.Allowed
	return out
}

// evaluateAll evaluates each objective of objectives.
func evaluateAll(objectives []Objective, dist ranked, st *Stats) []ObjectiveStatus {
	if len(objectives) == 0 {
		return nil
	}
	out := make([]ObjectiveStatus, len(objectives))
	for i, o := range objectives {
		out[i] = o.evaluate(dist, st)
	}
	return out
}

// mulDivFloor returns floor(a × b / c), for b <= c, with a 128-bit
// product.
func mulDivFloor(a, b, c uint64) int64 {
	hi, lo := bits.Mul64(a, b)
	q, _ := bits.Div64(hi, lo, c)
	return int64(q)
}

// parseDecimal parses a non-negative decimal of at most 6 decimals, such
// as "99.95", as num / 10^scale.
func parseDecimal(s string) (num uint64, scale int, ok bool) {
	intPart, frac, hasDot := strings.Cut(s, ".")
	if hasDot && frac == "" || intPart == "" || len(intPart) > 12 {
		return 0, 0, false
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > maxObjectiveDecimals || strings.Trim(intPart+frac, "0123456789") != "" {
		return 0, 0, false
	}
	n, err := strconv.ParseUint(intPart+frac, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return n, len(frac), true
}

// formatDecimal writes num / 10^scale in its shortest form.
func formatDecimal(num uint64, scale int) string {
	return string(decimal.Append(nil, int64(num), scale))
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}
