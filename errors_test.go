package logstats_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/logstats/logstats"
)

// kindErr is an error of another package that has a kind.
type kindErr struct{}

func (kindErr) Error() string            { return "shard down" }
func (kindErr) Kind() logstats.ErrorKind { return logstats.KindUnavailable }
func wrap(err error) error               { return fmt.Errorf("load a.log: %w", err) }
func parseErr(kind error) *logstats.ParseError {
	return &logstats.ParseError{Line: 3, Reason: "bad", Err: kind}
}

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want logstats.ErrorKind
	}{
		{nil, logstats.KindInternal},
		{errors.New("disk full"), logstats.KindInternal},
		{wrap(logstats.ErrSourceChanged), logstats.KindSourceChanged},
		{wrap(logstats.ErrLoadInProgress), logstats.KindConflict},
		{wrap(logstats.ErrCorruptInput), logstats.KindCorrupt},
		{logstats.ErrInvalidRange, logstats.KindInvalid},
		{logstats.ErrInvalidPercentile, logstats.KindInvalid},
		{logstats.ValidCustomerID("a b"), logstats.KindInvalid},
		{wrap(logstats.ErrCorruptRollup), logstats.KindInternal},
		{wrap(logstats.ErrCorruptBlock), logstats.KindInternal},
		{logstats.ErrUnknownDialect, logstats.KindInternal},
		// A malformed line is KindMalformed whatever field is wrong.
		{parseErr(logstats.ErrInvalidCustomer), logstats.KindMalformed},
		{wrap(parseErr(logstats.ErrInvalidDate)), logstats.KindMalformed},
		{wrap(fs.ErrNotExist), logstats.KindNotFound},
		{wrap(context.Canceled), logstats.KindCanceled},
		{wrap(context.DeadlineExceeded), logstats.KindUnavailable},
		{wrap(kindErr{}), logstats.KindUnavailable},
		// The outermost kind wins.
		{fmt.Errorf("%w: %w", kindErr{}, logstats.ErrSourceChanged), logstats.KindUnavailable},
	} {
		if got := logstats.KindOf(tc.err); got != tc.want {
			t.Errorf("KindOf(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if _, err := logstats.ParseDate("2024-02-30"); logstats.KindOf(err) != logstats.KindInvalid {
		t.Errorf("ParseDate's error is %v, want invalid", logstats.KindOf(err))
	}
}

func TestErrorKind_String(t *testing.T) {
	for k, want := range map[logstats.ErrorKind]string{
		logstats.KindInternal: "internal", logstats.KindSourceChanged: "source changed",
		logstats.KindCanceled: "canceled", logstats.ErrorKind(99): "ErrorKind(99)",
	} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(k), got, want)
		}
	}
}
