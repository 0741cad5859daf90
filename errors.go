package logstats

import (
	"errors"
	"strconv"
)

// Kinds of malformed lines. A [*ParseError] wraps exactly one of them, and
// errors.Is(err, [ErrMalformedLine]) holds for all of them.
var (
	ErrMalformedLine   = errors.New("logstats: malformed log line")
	ErrFieldCount      = errors.New("logstats: wrong number of fields")
	ErrInvalidDate     = errors.New("logstats: invalid date")
	ErrInvalidTime     = errors.New("logstats: invalid time of day")
	ErrInvalidCustomer = errors.New("logstats: invalid customer id")
	ErrInvalidPath     = errors.New("logstats: invalid path")
	ErrInvalidStatus   = errors.New("logstats: invalid status")
	ErrInvalidLatency  = errors.New("logstats: invalid latency")
	ErrLineTooLong     = errors.New("logstats: line too long")
)

// Errors of loading and querying.
var (
	// ErrSourceChanged means the part of a source that was loaded before is no
	// longer the same (the file was edited or truncated). Nothing was loaded; load
	// the new content as a new file, or prune and reload.
	ErrSourceChanged = errors.New("logstats: source changed since it was loaded")
	// ErrLoadInProgress means another load of the same source is running or
	// committed first. Nothing was double counted; retrying loads what is left.
	ErrLoadInProgress = errors.New("logstats: another load of this source is in progress")
	// ErrInvalidRange means a date range whose end is before its start.
	ErrInvalidRange = errors.New("logstats: invalid date range")
	// ErrInvalidPercentile means a percentile outside (0, 100] or with more than
	// six decimal places.
	ErrInvalidPercentile = errors.New("logstats: invalid percentile")
	// ErrUnknownDialect means the SQL dialect could not be told from the driver;
	// set the Dialect field.
	ErrUnknownDialect = errors.New("logstats: unknown SQL dialect")
	// ErrCorruptRollup means a stored latency distribution could not be decoded.
	ErrCorruptRollup = errors.New("logstats: corrupt rollup")
	// ErrCorruptInput means compressed input could not be decompressed: a
	// corrupt or truncated gzip stream.
	ErrCorruptInput = errors.New("logstats: corrupt compressed input")
)

// ParseError describes a malformed log line.
type ParseError struct {
	// Line is the 1-based line number, or 0 when a single line was parsed on its own.
	Line int
	// Reason says what is wrong, for a person: `status "abc" is not an integer`.
	Reason string
	// Err is the kind of error: ErrFieldCount, ErrInvalidStatus, and so on.
	Err error
}

// Error returns "line N: reason", or just the reason when Line is 0.
func (e *ParseError) Error() string {
	if e.Line == 0 {
		return e.Reason
	}
	return "line " + strconv.Itoa(e.Line) + ": " + e.Reason
}

// Unwrap returns the kind of error.
func (e *ParseError) Unwrap() error { return e.Err }

// Is reports whether target is ErrMalformedLine, which every ParseError is.
func (e *ParseError) Is(target error) bool { return target == ErrMalformedLine }
