package mysql_test

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/mysql"
)

func serverError(n uint16) error {
	return fmt.Errorf("insert into logstats_rollups: %w", &gomysql.MySQLError{Number: n, Message: "server says no"})
}

// TestDriver_Classify checks that errors are told apart by their number and
// type, never by their text: a message that merely contains "Error 1213" is
// nothing.
func TestDriver_Classify(t *testing.T) {
	var d mysql.Driver
	for _, tc := range []struct {
		name                           string
		err                            error
		transient, unavailable, refuse bool
	}{
		{"Deadlock", serverError(1213), true, false, false},
		{"LockWaitTimeout", serverError(1205), true, false, false},
		{"DuplicateKey", serverError(1062), false, false, false},
		{"TextOnly", errors.New("Error 1213 (40001): Deadlock found"), false, false, false},
		{"ServerLost", serverError(2013), false, true, false},
		{"ServerGone", serverError(2006), false, true, false},
		{"ConnRefusedRelayed", serverError(2003), false, true, false},
		{"BadConn", fmt.Errorf("begin batch: %w", driver.ErrBadConn), false, true, false},
		{"InvalidConn", gomysql.ErrInvalidConn, false, true, false},
		{"NetError", &net.OpError{Op: "read", Net: "tcp", Err: errors.New("i/o timeout")}, false, true, false},
		{"Refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), false, true, false},
		{"SpiderXIDReused", serverError(12605), true, false, false},
		{"SpiderShardUnreachable", serverError(1429), false, true, false},
		{"SpiderShardLostReading", serverError(1158), false, true, false},
		{"SpiderShardLostWriting", serverError(1160), false, true, false},
		{"SpiderRemoteGoneAway", serverError(12701), false, true, false},
		{"LocalInfileOff", serverError(1148), false, false, true},
		{"ClientLocalFilesDisabled", serverError(3948), false, false, true},
		{"InfileCapability", serverError(3950), false, false, true},
		{"NotSupportedYet", serverError(1235), false, false, true},
		{"VitessUnsupported", &gomysql.MySQLError{Number: 1105, Message: "LOAD DATA is not supported"}, false, false, true},
		{"OtherUnknownError", &gomysql.MySQLError{Number: 1105, Message: "something else"}, false, false, false},
		{"Nil-ish", errors.New("disk full"), false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := d.Transient(tc.err); got != tc.transient {
				t.Errorf("Transient = %v, want %v", got, tc.transient)
			}
			if got := d.Unavailable(tc.err); got != tc.unavailable {
				t.Errorf("Unavailable = %v, want %v", got, tc.unavailable)
			}
			if got := d.LoadDataRefused(tc.err); got != tc.refuse {
				t.Errorf("LoadDataRefused = %v, want %v", got, tc.refuse)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	db, err := mysql.Open("u:pw@tcp(127.0.0.1:1)/db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if d, err := logstats.DetectDialect(db); d != logstats.DialectMySQL || err != nil {
		t.Fatalf("DetectDialect = %v, %v; want mysql", d, err)
	}
	if _, ok := db.Driver().(logstats.BulkLoader); !ok {
		t.Fatal("the driver is not a BulkLoader")
	}
	if ing := logstats.NewIngester(db); ing.BulkLoader == nil {
		t.Fatal("NewIngester did not take LOAD DATA from the driver")
	}
	if _, err := mysql.Open("not a dsn"); err == nil {
		t.Fatal("Open accepted a malformed DSN")
	}
}

func TestWithDefaults(t *testing.T) {
	cfg := gomysql.NewConfig()
	cfg.ReadTimeout = time.Minute
	got := mysql.WithDefaults(cfg)
	if got.Timeout != mysql.DialTimeout || got.ReadTimeout != time.Minute || got.WriteTimeout != mysql.WriteTimeout {
		t.Fatalf("timeouts %v/%v/%v, want the defaults where unset and the DSN's own read timeout", got.Timeout, got.ReadTimeout, got.WriteTimeout)
	}
	if cfg.Timeout != 0 {
		t.Fatal("WithDefaults changed its argument")
	}
}
