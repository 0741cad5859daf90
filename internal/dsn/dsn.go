// Package dsn turns the DSNs and config.ini files that the example programs
// accept (mysql://, sqlite://, the Django app's config.ini) into open *sql.DB
// values, through packages mysql and sqlite.
package dsn

import (
	"bufio"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/mysql"
	"github.com/logstats/logstats/sqlite"
)

// Default is the DSN used when none is given.
const Default = "sqlite://logstats.db"

// DSN is a parsed data source name.
type DSN struct {
	Dialect logstats.Dialect
	// Path is the SQLite database file.
	Path string
	// MySQL is the MySQL driver configuration.
	MySQL *gomysql.Config
}

// Parse parses sqlite://PATH (PATH is everything after the prefix, so
// sqlite:///var/lib/x.db is absolute) or
// mysql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?driver params].
func Parse(s string) (DSN, error) {
	switch {
	case strings.HasPrefix(s, "sqlite://"):
		path := strings.TrimPrefix(s, "sqlite://")
		if path == "" || strings.ContainsAny(path, "?#") {
			return DSN{}, fmt.Errorf("dsn %q: want sqlite://PATH, with a path that holds no ? or #", s)
		}
		return DSN{Dialect: logstats.DialectSQLite, Path: path}, nil
	case strings.HasPrefix(s, "mysql://"):
		cfg, err := parseMySQL(s)
		if err != nil {
			return DSN{}, err
		}
		return DSN{Dialect: logstats.DialectMySQL, MySQL: cfg}, nil
	}
	return DSN{}, fmt.Errorf("dsn %q: want sqlite://PATH or mysql://USER[:PASSWORD]@HOST[:PORT]/DBNAME", Redact(s))
}

func parseMySQL(s string) (*gomysql.Config, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("dsn %q: %v", Redact(s), err)
	}
	db := strings.TrimPrefix(u.Path, "/")
	if u.User == nil || u.User.Username() == "" || u.Host == "" || db == "" || strings.Contains(db, "/") {
		return nil, fmt.Errorf("dsn %q: want mysql://USER[:PASSWORD]@HOST[:PORT]/DBNAME", Redact(s))
	}
	cfg := gomysql.NewConfig()
	if u.RawQuery != "" {
		// Let the driver parse and check its own parameters.
		parsed, err := gomysql.ParseDSN("/?" + u.RawQuery)
		if err != nil {
			return nil, fmt.Errorf("dsn %q: %v", Redact(s), err)
		}
		cfg = parsed
	}
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	if u.Port() == "" {
		cfg.Addr = net.JoinHostPort(u.Hostname(), "3306")
	}
	cfg.DBName = db
	// Package mysql's connector adds its default timeouts where the DSN
	// sets none.
	return cfg, nil
}

// Redact hides the password of a mysql:// DSN.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// String describes where d points, without a password.
func (d DSN) String() string {
	if d.Dialect == logstats.DialectSQLite {
		return "sqlite://" + d.Path
	}
	return fmt.Sprintf("mysql://%s@%s/%s", d.MySQL.User, d.MySQL.Addr, d.MySQL.DBName)
}

// Connector returns a connector to the database d points to, from package
// mysql or sqlite; Open wraps it in a pool.
func Connector(d DSN) (driver.Connector, error) {
	switch d.Dialect {
	case logstats.DialectSQLite:
		return sqlite.NewConnector(d.Path)
	case logstats.DialectMySQL:
		return mysql.NewConnector(d.MySQL)
	}
	return nil, errors.New("dsn: no dialect")
}

// Open opens the database d points to with package mysql's or sqlite's
// Open (timeouts, pool limits; WAL and a busy timeout on SQLite, so that a
// runner and a server can share the file), and checks that it answers.
func Open(ctx context.Context, d DSN) (*sql.DB, error) {
	var db *sql.DB
	var err error
	switch d.Dialect {
	case logstats.DialectSQLite:
		db, err = sqlite.Open(d.Path)
	case logstats.DialectMySQL:
		db, err = mysql.OpenConfig(d.MySQL)
	default:
		err = errors.New("dsn: no dialect")
	}
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		if d.Dialect == logstats.DialectMySQL {
			return nil, fmt.Errorf("cannot reach MySQL at %s (database %q, user %q): %w; is the server running, and does the database exist? Set -dsn or LOGSTATS_DSN",
				d.MySQL.Addr, d.MySQL.DBName, d.MySQL.User, err)
		}
		return nil, fmt.Errorf("cannot open SQLite database %s: %w", d.Path, err)
	}
	return db, nil
}

// ReadINI reads an INI file: sections of KEY = VALUE (or KEY: VALUE)
// lines, with # and ; comments. Section and key names are returned in lower
// case, since they are case-insensitive.
func ReadINI(r io.Reader) (map[string]map[string]string, error) {
	ini := map[string]map[string]string{}
	section := ""
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[' && line[len(line)-1] == ']':
			section = strings.ToLower(strings.TrimSpace(line[1 : len(line)-1]))
			if ini[section] == nil {
				ini[section] = map[string]string{}
			}
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			return nil, fmt.Errorf("config line %d: want KEY = VALUE", n)
		}
		if ini[section] == nil {
			ini[section] = map[string]string{}
		}
		ini[section][strings.ToLower(strings.TrimSpace(line[:i]))] = strings.TrimSpace(line[i+1:])
	}
	return ini, sc.Err()
}

// FromINI reads the Django app's config.ini and returns the mysql:// DSN of its
// [mysql] section (DATABASE_NAME, USER, PASSWORD, HOST, PORT; keys are
// case-insensitive), or ok=false when there is no such section.
func FromINI(r io.Reader) (dsn string, ok bool, err error) {
	ini, err := ReadINI(r)
	if err != nil {
		return "", false, err
	}
	sec, ok := ini["mysql"]
	if !ok {
		return "", false, nil
	}
	values := map[string]string{}
	for k, v := range sec {
		values[strings.ToUpper(k)] = v
	}
	for _, k := range []string{"DATABASE_NAME", "USER"} {
		if values[k] == "" {
			return "", false, fmt.Errorf("config [mysql] section: %s is missing", k)
		}
	}
	host := values["HOST"]
	if host == "" {
		host = "localhost"
	}
	port := values["PORT"]
	if port == "" {
		port = "3306"
	}
	u := url.URL{Scheme: "mysql", Host: net.JoinHostPort(host, port), Path: "/" + values["DATABASE_NAME"]}
	if pw, has := values["PASSWORD"]; has && pw != "" {
		u.User = url.UserPassword(values["USER"], pw)
	} else {
		u.User = url.User(values["USER"])
	}
	return u.String(), true, nil
}

// Resolve picks the database the example programs use: the -dsn flag, else
// $LOGSTATS_DSN, else the [mysql] section of the config file, else Default.
// configPath is the -config flag; configSet says whether it was given (a
// missing default config.ini is fine, a missing named one is an error). It
// returns the DSN and where it came from.
func Resolve(flagDSN, configPath string, configSet bool, getenv func(string) string) (DSN, string, error) {
	parse := func(s, from string) (DSN, string, error) {
		d, err := Parse(s)
		if err != nil {
			return DSN{}, "", fmt.Errorf("%s: %w", from, err)
		}
		return d, from, nil
	}
	if flagDSN != "" {
		return parse(flagDSN, "-dsn")
	}
	if s := getenv("LOGSTATS_DSN"); s != "" {
		return parse(s, "LOGSTATS_DSN")
	}
	f, err := os.Open(configPath)
	switch {
	case err == nil:
		defer f.Close()
		s, ok, err := FromINI(f)
		if err != nil {
			return DSN{}, "", fmt.Errorf("%s: %w", configPath, err)
		}
		if ok {
			return parse(s, configPath)
		}
		if configSet {
			return DSN{}, "", fmt.Errorf("%s has no [mysql] section", configPath)
		}
	case configSet || !errors.Is(err, os.ErrNotExist):
		return DSN{}, "", fmt.Errorf("config file: %w", err)
	}
	return parse(Default, "default")
}
