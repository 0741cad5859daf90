package logstats

import (
	"context"
	"errors"
	"io/fs"
	"strconv"
)

// An ErrorKind says what kind of failure an error is, so that a caller can
// choose what to do (an HTTP status, an exit code, a retry) without knowing
// every error. [KindOf] tells the kind of any error.
type ErrorKind int

// The kinds of errors.
const (
	// KindInternal is an unexpected failure, such as a bug or a database
	// error with no better kind: its details belong in a log.
	KindInternal ErrorKind = iota
	// KindInvalid is invalid input from the caller: a date, a date range, a
	// percentile or a customer id.
	KindInvalid
	// KindMalformed is a malformed log line where the caller asked to stop
	// at one (a strict load): a [*ParseError].
	KindMalformed
	// KindCorrupt is input that cannot be read at all, such as a corrupt or
	// truncated gzip stream.
	KindCorrupt
	// KindNotFound is something asked for that does not exist.
	KindNotFound
	// KindConflict is another operation on the same thing in progress, or
	// committed first; retrying does what is left.
	KindConflict
	// KindSourceChanged is a source that differs from what was loaded of it
	// before; nothing was loaded.
	KindSourceChanged
	// KindUnavailable is a database that cannot be reached or did not answer
	// in time; retry later.
	KindUnavailable
	// KindCanceled is an operation stopped because its context was
	// cancelled.
	KindCanceled
	// KindWrongFormat is a log that is not in the format it was read in:
	// none of its first lines is valid.
	KindWrongFormat
	// KindNoSpace is a write that failed for want of space: the database's
	// disk (or a table) is full. What was committed before stays; free
	// space and retry to do the rest.
	KindNoSpace
)

var kindNames = [...]string{"internal", "invalid", "malformed", "corrupt", "not found", "conflict", "source changed", "unavailable", "canceled", "wrong format", "no space"}

// String returns the kind's name, such as "source changed".
func (k ErrorKind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "ErrorKind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// KindOf returns the kind of err: that of the first error in its chain with
// a Kind() ErrorKind method (every error of this package has one, and so can
// the errors of packages built on it); KindNotFound for fs.ErrNotExist;
// KindNoSpace for a full disk (ENOSPC); KindCanceled for context.Canceled;
// KindUnavailable for context.DeadlineExceeded; KindInternal for anything
// else, nil included.
func KindOf(err error) ErrorKind {
	var k interface{ Kind() ErrorKind }
	switch {
	case err == nil:
		return KindInternal
	case errors.As(err, &k):
		return k.Kind()
	case errors.Is(err, fs.ErrNotExist):
		return KindNotFound
	case isNoSpace(err):
		return KindNoSpace
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return KindUnavailable
	}
	return KindInternal
}

// kindError is an error of a kind: the sentinel errors below.
type kindError struct {
	kind ErrorKind
	msg  string
}

func newError(kind ErrorKind, msg string) error { return &kindError{kind, msg} }

func (e *kindError) Error() string   { return e.msg }
func (e *kindError) Kind() ErrorKind { return e.kind }

// Kinds of malformed lines. A [*ParseError] wraps exactly one of them, and
// errors.Is(err, [ErrMalformedLine]) holds for all of them. Outside a
// ParseError (from ParseDate or ValidCustomerID, say) they are KindInvalid.
var (
	ErrMalformedLine   = newError(KindInvalid, "logstats: malformed log line")
	ErrFieldCount      = newError(KindInvalid, "logstats: wrong number of fields")
	ErrInvalidDate     = newError(KindInvalid, "logstats: invalid date")
	ErrInvalidTime     = newError(KindInvalid, "logstats: invalid time of day")
	ErrInvalidCustomer = newError(KindInvalid, "logstats: invalid customer id")
	ErrInvalidPath     = newError(KindInvalid, "logstats: invalid path")
	ErrInvalidMethod   = newError(KindInvalid, "logstats: invalid request method")
	ErrInvalidStatus   = newError(KindInvalid, "logstats: invalid status")
	ErrInvalidLatency  = newError(KindInvalid, "logstats: invalid latency")
	ErrLineTooLong     = newError(KindInvalid, "logstats: line too long")
	// ErrNoFormatFits is the kind of a line that fits none of the built-in
	// formats, while a Parser detecting the format has found none yet.
	ErrNoFormatFits = newError(KindInvalid, "logstats: line fits no known format")
)

// Errors of a Parser's configuration and of telling a log's format.
var (
	// ErrUnknownFormat means a format name or format string that ParseFormat
	// cannot read.
	ErrUnknownFormat = newError(KindInvalid, "logstats: unknown log format")
	// ErrInvalidSelector means a customer selector that is malformed or that
	// the format cannot serve (a field it does not have).
	ErrInvalidSelector = newError(KindInvalid, "logstats: invalid customer selector")
	// ErrInvalidDimension means a dimension that cannot be used: a name
	// that is not a lowercase identifier or is taken, more than
	// MaxDimensions, or a field the format does not have.
	ErrInvalidDimension = newError(KindInvalid, "logstats: invalid dimension")
	// ErrAmbiguousFormat means a line that two built-in formats read with
	// different meanings; choose the format.
	ErrAmbiguousFormat = newError(KindInvalid, "logstats: the log's format cannot be told")
	// ErrUnattributed means a well-formed line whose customer selector found
	// no customer (Parser.Parse returns it; Next and loads count such lines).
	// Its kind is KindInvalid, as for a malformed line: only Parse, given one
	// line, returns it, and it is that line that cannot be used as it is.
	ErrUnattributed = newError(KindInvalid, "logstats: no customer in line")
)

// Errors of loading and querying.
var (
	// ErrSourceChanged means the part of a source that was loaded before is no
	// longer the same (the file was edited or truncated). Nothing was loaded; load
	// the new content as a new file, or prune and reload.
	ErrSourceChanged = newError(KindSourceChanged, "logstats: source changed since it was loaded")
	// ErrReadingChanged means a load would read a source differently (another
	// format, customer selector or default customer) than the loads that
	// committed its lines before, which would count them differently.
	// Nothing was loaded.
	ErrReadingChanged = newError(KindConflict, "logstats: source read differently than before")
	// ErrWrongFormat means a log none of whose first lines (up to 1,000
	// lines or 1 MiB) is valid in the format it was read in. Nothing was
	// loaded, nor recorded.
	ErrWrongFormat = newError(KindWrongFormat, "logstats: log not in the format it was read in")
	// ErrDayZoneChanged means a day zone other than the one the database
	// cuts its days in (see SetDayZone).
	ErrDayZoneChanged = newError(KindConflict, "logstats: the database cuts its days in another zone")
	// ErrInvalidDayZone means a day zone that cannot be used.
	ErrInvalidDayZone = newError(KindInvalid, "logstats: invalid day zone")
	// ErrRawModeChanged means a raw mode other than the one the database
	// keeps its raw requests in (see SetRawMode).
	ErrRawModeChanged = newError(KindConflict, "logstats: the database keeps its raw requests another way")
	// ErrInvalidRawMode means a raw mode that is none of blocks, rows and
	// none.
	ErrInvalidRawMode = newError(KindInvalid, "logstats: invalid raw mode")
	// ErrNoRawRequests means a database that keeps no raw requests (raw
	// mode none): there is nothing to export, break down or forget.
	ErrNoRawRequests = newError(KindConflict, "logstats: the database keeps no raw requests")
	// ErrCheckpointStale means a load given a Checkpoint (LoadOptions.From)
	// found the source's ledger elsewhere: another load moved it since.
	// Nothing was loaded; load the whole input instead.
	ErrCheckpointStale = newError(KindConflict, "logstats: the checkpoint is no longer where the source stands")
	// ErrLoadInProgress means another load of the same source is running or
	// committed first. Nothing was double counted; retrying loads what is left.
	ErrLoadInProgress = newError(KindConflict, "logstats: another load of this source is in progress")
	// ErrUnknownSource means a source id that the ledger does not hold.
	ErrUnknownSource = newError(KindNotFound, "logstats: no such source")
	// ErrForgetting means a source that a Forget has started on and not
	// finished: it cannot be loaded until Forget, run again, finishes.
	ErrForgetting = newError(KindConflict, "logstats: the source is being forgotten")
	// ErrInvalidRange means a date range whose end is before its start.
	ErrInvalidRange = newError(KindInvalid, "logstats: invalid date range")
	// ErrInvalidRoute means a route template that cannot be used (see
	// ParseRoutes).
	ErrInvalidRoute = newError(KindInvalid, "logstats: invalid route template")
	// ErrInvalidBreakdown means a breakdown or a filter that cannot be
	// answered: an unknown key, a key given twice, an unknown sort field,
	// a limit out of range.
	ErrInvalidBreakdown = newError(KindInvalid, "logstats: invalid breakdown or filter")
	// ErrInvalidFailed means a definition of failed requests other than
	// 4xx,5xx and 5xx (see ParseFailedStatuses).
	ErrInvalidFailed = newError(KindInvalid, "logstats: invalid definition of failed requests")
	// ErrInvalidObjective means an objective that is neither
	// uptime>=PERCENT nor pNN<=SECONDS, or a list of them with one twice or
	// more than MaxObjectives.
	ErrInvalidObjective = newError(KindInvalid, "logstats: invalid objective")
	// ErrInvalidInterval means an interval other than day, week and month.
	ErrInvalidInterval = newError(KindInvalid, "logstats: invalid interval")
	// ErrInvalidPercentile means a percentile outside (0, 100] or with more than
	// six decimal places.
	ErrInvalidPercentile = newError(KindInvalid, "logstats: invalid percentile")
	// ErrUnknownDialect means the SQL dialect could not be told from the driver;
	// set the Dialect field.
	ErrUnknownDialect = newError(KindInternal, "logstats: unknown SQL dialect")
	// ErrCorruptRollup means a stored rollup row (its day or its latency
	// distribution) could not be decoded.
	ErrCorruptRollup = newError(KindInternal, "logstats: corrupt rollup")
	// ErrCorruptBlock means a stored block of raw requests could not be
	// decoded: its bytes break docs/BLOCKS.md.
	ErrCorruptBlock = newError(KindInternal, "logstats: corrupt block")
	// ErrCorruptInput means compressed input could not be decompressed: a
	// corrupt or truncated gzip stream.
	ErrCorruptInput = newError(KindCorrupt, "logstats: corrupt compressed input")
)

// ParseError describes a malformed log line.
type ParseError struct {
	// Line is the 1-based line number, or 0 when a single line was parsed on its own.
	Line int `json:"line"`
	// Reason says what is wrong, for a person: `status "abc" is not an integer`.
	Reason string `json:"reason"`
	// Err is the kind of error: ErrFieldCount, ErrInvalidStatus, and so on.
	Err error `json:"-"`
	// Reason[quoteAt:quoteEnd] quotes the line's bytes (empty when it
	// quotes none); see WithoutInput.
	quoteAt, quoteEnd int
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

// Kind returns KindMalformed.
func (e *ParseError) Kind() ErrorKind { return KindMalformed }

// Is reports whether target is ErrMalformedLine, which every ParseError is.
func (e *ParseError) Is(target error) bool { return target == ErrMalformedLine }
