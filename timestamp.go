package logstats

import (
	"bytes"
	"time"
)

// Timestamps with a zone or an offset (nginx's $time_local, RFC 3339, Unix
// times) are instants: they are parsed to UTC, whatever Location says.

// parseCLFTime parses the timestamp of the Common Log Format, without its
// brackets: 10/Oct/2024:13:55:36 -0700.
func parseCLFTime(b []byte) (time.Time, *ParseError) {
	if len(b) != 26 || b[2] != '/' || b[6] != '/' || b[11] != ':' || b[20] != ' ' {
		return time.Time{}, badTime(b, "10/Oct/2024:13:55:36 -0700")
	}
	day, ok1 := digits(b[0:2])
	month, ok2 := monthOf(b[3:6])
	year, ok3 := digits(b[7:11])
	hour, min, sec, _, ok4 := parseClock(b[12:20])
	offset, ok5 := parseOffset(b[21:])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || year < 1 || day < 1 || day > daysIn(month, year) {
		return time.Time{}, badTime(b, "10/Oct/2024:13:55:36 -0700")
	}
	return instant(b, Date{year, month, day}, hour*3600+min*60+sec, 0, offset)
}

// parseISOTime parses an RFC 3339 timestamp (nginx's $time_iso8601, Envoy's
// START_TIME): 2024-10-10T13:55:36-07:00, 2024-10-10T20:55:36.123Z.
func parseISOTime(b []byte) (time.Time, *ParseError) {
	const want = "2024-10-10T13:55:36Z or 2024-10-10T13:55:36.123-07:00"
	if len(b) < 20 || (b[10] != 'T' && b[10] != 't' && b[10] != ' ') {
		return time.Time{}, badTime(b, want)
	}
	date, ok := parseDateBytes(b[:10])
	if !ok {
		return time.Time{}, badTime(b, want)
	}
	end := 19 // the end of the clock and its fraction
	if b[end] == '.' {
		end++
		for end < len(b) && b[end] >= '0' && b[end] <= '9' {
			end++
		}
	}
	hour, min, sec, nsec, ok := parseClock(b[11:end])
	if !ok {
		return time.Time{}, badTime(b, want)
	}
	var offset int
	switch zone := b[end:]; {
	case len(zone) == 1 && (zone[0] == 'Z' || zone[0] == 'z'):
	case len(zone) == 6 && zone[3] == ':':
		var buf [5]byte
		buf[0], buf[1], buf[2], buf[3], buf[4] = zone[0], zone[1], zone[2], zone[4], zone[5]
		if offset, ok = parseOffset(buf[:]); !ok {
			return time.Time{}, badTime(b, want)
		}
	default:
		if offset, ok = parseOffset(zone); !ok {
			return time.Time{}, badTime(b, want)
		}
	}
	return instant(b, date, hour*3600+min*60+sec, nsec, offset)
}

// parseUnixTime parses a Unix time in seconds (u is unitSeconds) or
// milliseconds (unitMillis), with an optional fraction: 1728568536.123.
func parseUnixTime(b []byte, u latencyUnit) (time.Time, *ParseError) {
	intPart, frac := b, []byte(nil)
	if i := bytes.IndexByte(b, '.'); i >= 0 {
		intPart, frac = b[:i], b[i+1:]
	}
	// 9999-12-31T23:59:59Z is 253402300799 s.
	const maxSeconds = 253402300799
	scale := int64(1) // units a second
	if u == unitMillis {
		scale = 1000
	}
	if len(intPart) == 0 || len(intPart) > 16 || (len(frac) == 0 && len(intPart) < len(b)) {
		return time.Time{}, badTime(b, "Unix "+u.String()+" such as 1728568536.123")
	}
	var units int64
	for _, c := range intPart {
		d, ok := digit(c)
		if !ok {
			return time.Time{}, badTime(b, "Unix "+u.String()+" such as 1728568536.123")
		}
		units = units*10 + int64(d)
	}
	sec, rem := units/scale, units%scale
	if sec > maxSeconds {
		return time.Time{}, badTime(b, "a Unix time before the year 10000")
	}
	nsec := rem * (1e9 / scale)
	for i, place := 0, 1e9/scale/10; i < len(frac); i++ {
		d, ok := digit(frac[i])
		if !ok {
			return time.Time{}, badTime(b, "Unix "+u.String()+" such as 1728568536.123")
		}
		nsec += int64(d) * place
		place /= 10
	}
	return time.Unix(sec, nsec).UTC(), nil
}

// instant returns the UTC time of a date and clock at an offset east of UTC,
// checking that its UTC date is of the years 0001-9999, as every day must be.
func instant(b []byte, d Date, clock, nsec, offset int) (time.Time, *ParseError) {
	unix := daysSinceEpoch(d)*86400 + int64(clock) - int64(offset)
	const minUnix, maxUnix = -62135596800, 253402300799 // 0001-01-01, 9999-12-31T23:59:59
	if unix < minUnix || unix > maxUnix {
		return time.Time{}, fieldError(ErrInvalidDate, "time %q falls outside the years 0001-9999 in UTC", b)
	}
	return time.Unix(unix, int64(nsec)).UTC(), nil
}

// parseOffset parses a UTC offset +hhmm or -hhmm into seconds east of UTC.
func parseOffset(b []byte) (int, bool) {
	if len(b) != 5 || (b[0] != '+' && b[0] != '-') {
		return 0, false
	}
	h, ok1 := digits(b[1:3])
	m, ok2 := digits(b[3:5])
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if b[0] == '-' {
		off = -off
	}
	return off, true
}

// monthOf parses an English month abbreviation: Jan, Feb, ...
func monthOf(b []byte) (time.Month, bool) {
	if len(b) != 3 {
		return 0, false
	}
	const names = "JanFebMarAprMayJunJulAugSepOctNovDec"
	for m := 0; m < 12; m++ {
		if b[0] == names[3*m] && b[1] == names[3*m+1] && b[2] == names[3*m+2] {
			return time.Month(m + 1), true
		}
	}
	return 0, false
}

func badTime(b []byte, want string) *ParseError {
	return fieldError(ErrInvalidTime, "time %q is not a valid timestamp (want %s)", b, want)
}
