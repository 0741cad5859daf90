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
)

// Flags are the database flags the example programs share: -dsn and -config.
type Flags struct {
	fs      *flag.FlagSet
	dsn     *string
	config  *string
	dayZone *string
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
	if err := logstats.Migrate(ctx, db); err != nil {
		db.Close()
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
