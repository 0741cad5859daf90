package mysql_test

import (
	"errors"
	"fmt"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/mysql"
)

// TestDriver_NoSpace checks the server errors that mean a full disk, with
// the messages MariaDB 10.11 and MySQL 8 send (perror and errmsg-utf8.txt):
// the numbers that say so alone, and those that say it only by the errno
// they quote (28, ENOSPC), which another errno makes something else.
func TestDriver_NoSpace(t *testing.T) {
	var d mysql.Driver
	for _, tc := range []struct {
		name    string
		number  uint16
		message string
		noSpace bool
	}{
		{"RecordFileFull", 1114, "The table 'logstats_raw_requests' is full", true},
		{"DiskFull", 1021, `Disk full (./logstats/logstats_rollups.MAI); waiting for someone to free some space... (errno: 28 "No space left on device")`, true},
		{"DiskFullNoWaitMySQL", 3675, "Create table/tablespace 'logstats_rollups' failed, as disk is full", true},
		{"MysysDiskFull", 20, `Disk is full writing '/var/lib/mysql/ib_logfile0' (Errcode: 28 "No space left on device"). Waiting for someone to free space...`, true},
		{"MysysWriteNoSpace", 3, `Error writing file '/tmp/MYfd=42' (Errcode: 28 "No space left on device")`, true},
		{"MysysWriteNoSpaceMySQL", 3, "Error writing file '/tmp/MYfd=42' (OS errno 28 - No space left on device)", true},
		{"ErrorOnWriteNoSpace", 1026, `Error writing file './logstats/t.frm' (errno: 28 "No space left on device")`, true},
		{"GetErrnoNoSpace", 1030, `Got error 28 "No space left on device" from storage engine InnoDB`, true},
		{"MysysWriteIOError", 3, `Error writing file '/tmp/MYfd=42' (Errcode: 5 "Input/output error")`, false},
		{"ErrorOnWriteErrno280", 1026, "Error writing file './x' (errno: 280)", false},
		{"GetErrnoOther", 1030, `Got error 168 "Unknown (generic) error from engine" from storage engine InnoDB`, false},
		{"DuplicateKey", 1062, "Duplicate entry 'x' for key 'PRIMARY'", false},
		{"Deadlock", 1213, "Deadlock found when trying to get lock; try restarting transaction", false},
		{"ServerLost", 2013, "Lost connection to server during query", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := fmt.Errorf("insert into logstats_rollups: %w", &gomysql.MySQLError{Number: tc.number, Message: tc.message})
			if got := d.NoSpace(err); got != tc.noSpace {
				t.Errorf("NoSpace(%v) = %v, want %v", err, got, tc.noSpace)
			}
			if tc.noSpace && (d.Transient(err) || d.Unavailable(err)) {
				t.Errorf("%v is also transient or unavailable", err)
			}
		})
	}
	// Only the driver's type counts: the same text without it is nothing.
	for _, err := range []error{errors.New("Error 1114 (HY000): The table 'x' is full"), errors.New(`(errno: 28 "No space left on device")`)} {
		if d.NoSpace(err) {
			t.Errorf("NoSpace(%q) = true for text alone", err)
		}
	}
	var _ logstats.NoSpaceReporter = d
}
