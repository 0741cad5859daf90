package logstats

import (
	"math/bits"
	"time"
)

// parseGoDuration parses a latency written as Go's time.Duration prints it,
// "125µs", "3ms", "1.2s", "1m2.5s", "0s" (and as time.ParseDuration reads
// it: "125us", "1h", "1.5h30m"), into whole microseconds, exactly: the
// components add up in nanoseconds, then round to microseconds half away
// from zero, as the ns unit does (1500ns is 2µs). As with ns, a part of a
// nanosecond is refused, and so is a negative duration or one of more than
// 24 hours.
func parseGoDuration(b []byte) (time.Duration, *ParseError) {
	s := b
	if len(s) > 0 && s[0] == '+' {
		s = s[1:]
	}
	if len(s) > 0 && s[0] == '-' {
		return 0, fieldError(ErrInvalidLatency, "latency %q is negative", b)
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, nil
	}
	if len(s) == 0 {
		return 0, notGoDuration(b)
	}
	const maxNanos = int64(MaxLatency)
	var total int64
	for len(s) > 0 {
		// digits[.digits] then a unit
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		intPart := s[:i]
		var frac []byte
		if i < len(s) && s[i] == '.' {
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			frac, i = s[i+1:j], j
		}
		if len(intPart) == 0 && len(frac) == 0 {
			return 0, notGoDuration(b)
		}
		j := i
		for j < len(s) && (s[j] < '0' || s[j] > '9') && s[j] != '.' {
			j++
		}
		scale := durationUnit(s[i:j])
		if scale == 0 {
			return 0, notGoDuration(b)
		}
		s = s[j:]
		var v int64
		for _, c := range intPart {
			if v = v*10 + int64(c-'0'); v > maxNanos {
				return 0, fieldError(ErrInvalidLatency, "latency %q is more than 24 hours", b)
			}
		}
		if v > maxNanos/scale {
			return 0, fieldError(ErrInvalidLatency, "latency %q is more than 24 hours", b)
		}
		v *= scale
		for len(frac) > 0 && frac[len(frac)-1] == '0' {
			frac = frac[:len(frac)-1]
		}
		if len(frac) > 0 {
			// frac/10^n of the unit, which must be whole nanoseconds.
			if len(frac) > 18 {
				return 0, fieldError(ErrInvalidLatency, "latency %q is not a whole number of nanoseconds", b)
			}
			var num, den uint64 = 0, 1
			for _, c := range frac {
				num, den = num*10+uint64(c-'0'), den*10
			}
			hi, lo := bits.Mul64(num, uint64(scale))
			q, rem := bits.Div64(hi, lo, den)
			if rem != 0 {
				return 0, fieldError(ErrInvalidLatency, "latency %q is not a whole number of nanoseconds", b)
			}
			v += int64(q)
		}
		if total += v; total > maxNanos {
			return 0, fieldError(ErrInvalidLatency, "latency %q is more than 24 hours", b)
		}
	}
	us := total / 1000
	if total%1000 >= 500 {
		us++
	}
	if us > maxNanos/1000 {
		return 0, fieldError(ErrInvalidLatency, "latency %q is more than 24 hours", b)
	}
	return time.Duration(us) * time.Microsecond, nil
}

// durationUnit returns how many nanoseconds a unit of time.ParseDuration
// is; 0 for no unit.
func durationUnit(u []byte) int64 {
	switch string(u) {
	case "ns":
		return 1
	case "us", "\u00b5s", "\u03bcs": // µ as Duration.String prints it, and the Greek mu
		return 1e3
	case "ms":
		return 1e6
	case "s":
		return 1e9
	case "m":
		return 60e9
	case "h":
		return 3600e9
	}
	return 0
}

func notGoDuration(b []byte) *ParseError {
	return fieldError(ErrInvalidLatency, "latency %q is not a Go duration (such as 125µs, 3ms, 1.2s or 1m2.5s)", b)
}
