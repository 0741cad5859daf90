package cli

import (
	"errors"
	"strings"

	"github.com/logstats/logstats"
)

// WithAdvice returns err with what to do about it in the runner's and the
// server's flags, when the library's error says what is wrong in a way
// that a flag fixes (a log read in the wrong format, a source read
// differently than before, another day zone); else err. errors.Is and
// logstats.KindOf see err as they did.
func WithAdvice(err error) error {
	if advice := Advice(err); advice != "" {
		return &advised{err, advice}
	}
	return err
}

// Advice returns what to do about err in flags, or "".
func Advice(err error) string {
	var (
		wf *logstats.WrongFormatError
		rc *logstats.ReadingChangedError
		dz *logstats.DayZoneError
		rm *logstats.RawModeError
		af *logstats.AmbiguousFormatError
		ua *logstats.UnattributedError
	)
	switch {
	case errors.As(err, &ua):
		return "pass -customer with where the customer is (path:PATTERN, query:NAME or a field of the format), or -customer-default NAME for every request"
	case errors.As(err, &wf):
		if len(wf.Fits) == 0 {
			return "pass -format nginx:'<your log_format>' or -format apache:'<your LogFormat>'"
		}
		advice := "pass -format " + ShellQuote(wf.Fits[0].String())
		if wf.NeedsCustomer {
			advice += " with -customer path:PATTERN or query:NAME, or with -customer-default NAME (it has no customer field)"
		}
		return advice
	case errors.As(err, &rc):
		flags := "-format " + ShellQuote(rc.Format)
		if rc.Customer != "" {
			flags += " -customer " + ShellQuote(rc.Customer)
		}
		if rc.CustomerDefault != "" {
			flags += " -customer-default " + ShellQuote(rc.CustomerDefault)
		}
		for _, d := range rc.Dimensions {
			flags += " -dimension " + ShellQuote(d)
		}
		if len(rc.Dimensions) == 0 {
			flags += " -dimension ''" // none: not those of the environment or config.ini either
		}
		return "load it with " + flags + ", or, if those were wrong, undo that load with -forget " + ShellQuote(rc.Source) + " and load it again"
	case errors.As(err, &dz):
		return "use -day-zone " + dz.Recorded.String() + " (or none), or load into a new database"
	case errors.As(err, &rm):
		return "use -raw " + string(rm.Recorded) + " (or leave -raw out), or load into a new database"
	case errors.As(err, &af):
		return "choose the format with -format"
	case errors.Is(err, logstats.ErrNoFormatFits):
		return "choose the format with -format (nginx:'<your log_format>' or apache:'<your LogFormat>' read any other)"
	}
	return ""
}

// advised is an error with advice.
type advised struct {
	err    error
	advice string
}

func (e *advised) Error() string { return e.err.Error() + "; " + e.advice }
func (e *advised) Unwrap() error { return e.err }

// ShellQuote quotes s for a POSIX shell when it needs quoting: nginx stays
// nginx; anything else is single-quoted, its own single quotes escaped.
func ShellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,:/=@%+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
