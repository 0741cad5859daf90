package spider

import "github.com/logstats/logstats"

// ErrUnsafe means a Spider head is not set up so that a batch commits on
// every shard or on none. Its message says what to change. Its kind is
// [logstats.KindUnavailable].
var ErrUnsafe error = &kindError{logstats.KindUnavailable, "spider: the Spider head cannot commit across shards atomically"}

// ErrSetup means provisioning a Spider head and its shards was refused: the
// head already holds other tables, or the shards are described wrongly, or
// the head lacks a migration its shards must run first. Its kind is
// [logstats.KindInvalid].
var ErrSetup error = &kindError{logstats.KindInvalid, "spider: cannot provision the Spider head"}

// A kindError is an error with a logstats kind, which logstats.KindOf
// finds.
type kindError struct {
	kind logstats.ErrorKind
	msg  string
}

func (e *kindError) Error() string            { return e.msg }
func (e *kindError) Kind() logstats.ErrorKind { return e.kind }
