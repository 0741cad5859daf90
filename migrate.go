package logstats

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFS embed.FS

// Migrate creates or upgrades logstats's tables in db. It runs each embedded
// migration (migrations/<dialect>/NNNN_name.sql) not yet recorded in the
// logstats_migrations table, in order, and records it. It is idempotent and
// safe to call at every start, also from several processes at once. The
// dialect is detected from db's driver; use [MigrateDialect] to pass it.
func Migrate(ctx context.Context, db *sql.DB) error {
	d, err := DetectDialect(db)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return MigrateDialect(ctx, db, d)
}

// MigrateDialect is [Migrate] with an explicit dialect.
func MigrateDialect(ctx context.Context, db *sql.DB, d Dialect) error {
	return classify(driverOf(db), migrate(ctx, db, d))
}

func migrate(ctx context.Context, db *sql.DB, d Dialect) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS logstats_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       VARCHAR(255) NOT NULL,
		applied_us BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: create logstats_migrations: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/"+d.String()+"/*.sql")
	if err != nil || len(names) == 0 {
		return fmt.Errorf("migrate: no migrations for dialect %s", d)
	}
	slices.Sort(names)
	guard, _ := driverOf(db).(MigrationGuard)
	for _, name := range names {
		if err := migrateFile(ctx, db, d, name, guard); err != nil {
			return fmt.Errorf("migrate: %s: %w", path.Base(name), err)
		}
	}
	return nil
}

// migrateFile runs one migration unless it is already recorded. MySQL commits
// DDL implicitly, so the statements use IF NOT EXISTS and the version row is
// inserted ignoring duplicates: running a migration twice, or from two
// processes at once, is harmless.
// A migration not yet recorded is first put to guard, when there is one.
func migrateFile(ctx context.Context, db *sql.DB, d Dialect, name string, guard MigrationGuard) error {
	base := path.Base(name)
	version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
	if err != nil {
		return fmt.Errorf("file name must start with a version number: %w", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM logstats_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if guard != nil {
		if err := guard.BeforeMigration(ctx, db, base); err != nil {
			return err
		}
	}
	body, err := migrationFS.ReadFile(name)
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, stmt := range splitStatements(string(body)) {
		if table, column, ok := addedColumn(stmt); ok {
			exists, err := d.columnExists(ctx, tx, table, column)
			if err != nil {
				return err
			}
			if exists {
				continue // added by a run that did not get to record it
			}
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx,
		d.insertIgnore("logstats_migrations", "version, name, applied_us", "(?, ?, ?)"),
		version, base, time.Now().UnixMicro()); err != nil {
		return err
	}
	return tx.Commit()
}

// addedColumn returns the table and column of a statement ALTER TABLE t ADD
// COLUMN c ..., which neither dialect can make conditional the same way
// (MySQL has no ADD COLUMN IF NOT EXISTS), so Migrate checks for the column
// itself.
func addedColumn(stmt string) (table, column string, ok bool) {
	f := strings.Fields(stmt)
	if len(f) < 6 || !strings.EqualFold(f[0], "ALTER") || !strings.EqualFold(f[1], "TABLE") ||
		!strings.EqualFold(f[3], "ADD") || !strings.EqualFold(f[4], "COLUMN") {
		return "", "", false
	}
	return f[2], f[5], true
}

// splitStatements splits a migration file at semicolons that end a line, and
// drops comment lines. Our migrations have no semicolons inside statements.
func splitStatements(sqlText string) []string {
	var stmts []string
	var cur strings.Builder
	for _, line := range strings.Split(sqlText, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || trimmed == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(trimmed, ";") {
			stmts = append(stmts, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		stmts = append(stmts, s)
	}
	return stmts
}
