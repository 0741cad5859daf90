// Package decimal writes fixed-point numbers in their shortest decimal form:
// microseconds as seconds in a log line (logstats.Entry) and in the JSON of
// httpapi, hundredths as a percentage.
package decimal

import "strconv"

// Append appends n / 10^places to b in its shortest decimal form: the
// fraction's trailing zeros dropped, no point for a whole number.
// Append(b, 1234000, 6) appends "1.234"; Append(b, -5, 2) "-0.05".
// places is at most 18.
func Append(b []byte, n int64, places int) []byte {
	u := uint64(n)
	if n < 0 {
		b = append(b, '-')
		u = -u
	}
	pow := uint64(1)
	for range places {
		pow *= 10
	}
	b = strconv.AppendUint(b, u/pow, 10)
	frac := u % pow
	if frac == 0 {
		return b
	}
	var digits [18]byte
	for i := places - 1; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	end := places
	for digits[end-1] == '0' {
		end--
	}
	return append(append(b, '.'), digits[:end]...)
}
