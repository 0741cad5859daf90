package dsn

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/mysql"
	"github.com/logstats/logstats/spider"
)

// Flags are the database flags the example programs share: -dsn and -config.
type Flags struct {
	fs      *flag.FlagSet
	dsn     *string
	config  *string
	dayZone *string
	shards  *string // nil unless AddShardsFlag
}

// AddShardsFlag defines -shards on fs, for f.Open: with it, the database
// (-dsn) is a MariaDB Spider head, provisioned over the shards named.
func (f *Flags) AddShardsFlag() {
	f.shards = f.fs.String("shards", "", "provision -dsn as a MariaDB Spider head over these shards: comma-separated\nmysql://USER[:PASSWORD]@HOST:PORT/DBNAME, each on its own host (later runs need only -dsn)")
}

// AddFlags defines -dsn and -config on fs.
func AddFlags(fs *flag.FlagSet) *Flags {
	return &Flags{
		fs:      fs,
		dsn:     fs.String("dsn", "", "database: sqlite://PATH or mysql://USER[:PASSWORD]@HOST[:PORT]/DBNAME\n(default: $LOGSTATS_DSN, else config.ini's [mysql] section, else "+Default+")"),
		config:  fs.String("config", "config.ini", "config file whose [mysql] section selects MySQL, as in the original app"),
		dayZone: fs.String("day-zone", "", "the `zone` (an IANA name) in which a new database cuts its days, recorded in it and used by\nevery later process (default: $LOGSTATS_DAY_ZONE, else the recorded one, else UTC); another one is refused"),
	}
}

// Open resolves the database from the flags (after fs.Parse), getenv and
// the config file, opens it and runs the migrations. It returns the DSN and
// where it came from.
func (f *Flags) Open(ctx context.Context, getenv func(string) string) (*sql.DB, DSN, string, error) {
	configSet := false
	f.fs.Visit(func(fl *flag.Flag) { configSet = configSet || fl.Name == "config" })
	d, from, err := Resolve(*f.dsn, *f.config, configSet, getenv)
	if err != nil {
		return nil, DSN{}, "", err
	}
	db, err := Open(ctx, d)
	if err != nil {
		return nil, DSN{}, "", err
	}
	if f.shards != nil && *f.shards != "" {
		if err := migrateSharded(ctx, db, d, *f.shards); err != nil {
			db.Close()
			return nil, DSN{}, "", err
		}
	}
	if err := logstats.Migrate(ctx, db); err != nil {
		db.Close()
		if errors.Is(err, spider.ErrSetup) {
			err = fmt.Errorf("%w (-dsn HEAD -shards DSN,DSN,... does that, with the shards it was provisioned over)", err)
		}
		return nil, DSN{}, "", err
	}
	zone := *f.dayZone
	if zone == "" {
		zone = getenv("LOGSTATS_DAY_ZONE")
	}
	if zone != "" {
		loc, err := time.LoadLocation(zone)
		if err == nil {
			err = logstats.SetDayZone(ctx, db, loc)
		}
		if err != nil {
			db.Close()
			return nil, DSN{}, "", fmt.Errorf("-day-zone: %w", err)
		}
	}
	return db, d, from, nil
}

// Section returns the keys of a section of the config file (lower case),
// or none when the default config.ini does not exist.
func (f *Flags) Section(name string) (map[string]string, error) {
	configSet := false
	f.fs.Visit(func(fl *flag.Flag) { configSet = configSet || fl.Name == "config" })
	file, err := os.Open(*f.config)
	if err != nil {
		if !configSet && errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer file.Close()
	ini, err := ReadINI(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", *f.config, err)
	}
	return ini[strings.ToLower(name)], nil
}

// migrateSharded provisions head, which d points to, over the shards in
// list (comma-separated mysql:// DSNs).
func migrateSharded(ctx context.Context, head *sql.DB, d DSN, list string) error {
	if d.Dialect != logstats.DialectMySQL {
		return fmt.Errorf("-shards: the head (-dsn) must be a MariaDB server with the Spider engine, not %s", d.Dialect)
	}
	var shards []spider.Shard
	defer func() {
		for _, s := range shards {
			s.DB.Close()
		}
	}()
	for _, item := range strings.Split(list, ",") {
		sd, err := Parse(strings.TrimSpace(item))
		if err != nil || sd.Dialect != logstats.DialectMySQL {
			return fmt.Errorf("-shards: %q: want mysql://USER[:PASSWORD]@HOST:PORT/DBNAME (%v)", Redact(item), err)
		}
		s, err := mysql.ShardConfig(sd.MySQL)
		if err != nil {
			return fmt.Errorf("-shards: %w", err)
		}
		shards = append(shards, s)
		if err := s.DB.PingContext(ctx); err != nil {
			return fmt.Errorf("-shards: cannot reach the shard at %s (database %q): %w", sd.MySQL.Addr, sd.MySQL.DBName, err)
		}
	}
	return spider.MigrateSharded(ctx, head, shards)
}
