package dsn_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/dsn"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want is DSN.String()
		addr     string
	}{
		{"sqlite://logstats.db", "sqlite://logstats.db", ""},
		{"sqlite:///var/lib/logstats.db", "sqlite:///var/lib/logstats.db", ""},
		{"mysql://log_user:pw@localhost/log_db", "mysql://log_user@localhost:3306/log_db", "localhost:3306"},
		{"mysql://root@127.0.0.1:3307/test?parseTime=true", "mysql://root@127.0.0.1:3307/test", "127.0.0.1:3307"},
		{"mysql://u:p%40ss@[::1]:3306/db", "mysql://u@[::1]:3306/db", "[::1]:3306"},
	} {
		d, err := dsn.Parse(tc.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		if d.String() != tc.want {
			t.Fatalf("Parse(%q)=%s, want %s", tc.in, d, tc.want)
		}
		if d.Dialect == logstats.DialectMySQL {
			if d.MySQL.Addr != tc.addr {
				t.Fatalf("Parse(%q): addr %s", tc.in, d.MySQL.Addr)
			}
		}
	}
	if d, _ := dsn.Parse("mysql://u:p%40ss@h/db"); d.MySQL.Passwd != "p@ss" {
		t.Fatalf("password not unescaped: %q", d.MySQL.Passwd)
	}
	for _, in := range []string{"", "logstats.db", "sqlite://", "sqlite://a?b", "postgres://x", "mysql://host/db", "mysql://u@/db", "mysql://u@h", "mysql://u@h/a/b", "mysql://u@h/db?badparam=%zz"} {
		if _, err := dsn.Parse(in); err == nil {
			t.Fatalf("Parse(%q) succeeded, want an error", in)
		}
	}
	if _, err := dsn.Parse("mysql://u:secret@h"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("error %v shows the password", err)
	}
}

func TestFromINI(t *testing.T) {
	const seed = `
; the seed's config.ini
[mysql]
DATABASE_NAME = log_db
USER = log_user
PASSWORD = your_password
HOST = localhost
PORT = 3306
`
	got, ok, err := dsn.FromINI(strings.NewReader(seed))
	if err != nil || !ok || got != "mysql://log_user:your_password@localhost:3306/log_db" {
		t.Fatalf("FromINI=%q, %v, %v", got, ok, err)
	}
	got, ok, err = dsn.FromINI(strings.NewReader("[MySQL]\ndatabase_name: db\nuser: u\n"))
	if err != nil || !ok || got != "mysql://u@localhost:3306/db" {
		t.Fatalf("FromINI(lower-case keys, defaults)=%q, %v, %v", got, ok, err)
	}
	if _, ok, err := dsn.FromINI(strings.NewReader("[other]\nx = 1\n")); ok || err != nil {
		t.Fatalf("FromINI without [mysql]: ok=%v err=%v", ok, err)
	}
	if _, _, err := dsn.FromINI(strings.NewReader("[mysql]\nUSER = u\n")); err == nil {
		t.Fatalf("FromINI without DATABASE_NAME succeeded")
	}
	if _, _, err := dsn.FromINI(strings.NewReader("[mysql]\njunk\n")); err == nil {
		t.Fatalf("FromINI with a line that is not KEY = VALUE succeeded")
	}
}

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	ini := filepath.Join(dir, "config.ini")
	os.WriteFile(ini, []byte("[mysql]\nDATABASE_NAME = db\nUSER = u\nHOST = dbhost\n"), 0o644)
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "LOGSTATS_DSN" {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		name, flag, config string
		configSet          bool
		env, want, from    string
	}{
		{"FlagWins", "sqlite://flag.db", ini, true, "sqlite://env.db", "sqlite://flag.db", "-dsn"},
		{"EnvOverConfig", "", ini, true, "sqlite://env.db", "sqlite://env.db", "LOGSTATS_DSN"},
		{"Config", "", ini, false, "", "mysql://u@dbhost:3306/db", ini},
		{"DefaultWithoutConfig", "", filepath.Join(dir, "config-missing.ini"), false, "", "sqlite://logstats.db", "default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, from, err := dsn.Resolve(tc.flag, tc.config, tc.configSet, env(tc.env))
			if err != nil || d.String() != tc.want || from != tc.from {
				t.Fatalf("Resolve=%s from %s, %v; want %s from %s", d, from, err, tc.want, tc.from)
			}
		})
	}
	if _, _, err := dsn.Resolve("", filepath.Join(dir, "nope.ini"), true, env("")); err == nil {
		t.Fatalf("Resolve with a missing -config file succeeded")
	}
}
