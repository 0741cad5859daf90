package logstats

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Dialect is a SQL dialect that logstats speaks: the few places where MySQL
// and SQLite differ (DDL, upsert syntax, row locks, bounded deletes).
type Dialect int

// The supported dialects. MariaDB, TiDB and Vitess speak MySQL.
const (
	DialectUnknown Dialect = iota
	DialectSQLite
	DialectMySQL
)

// String returns the dialect's name: "sqlite" or "mysql".
func (d Dialect) String() string {
	switch d {
	case DialectSQLite:
		return "sqlite"
	case DialectMySQL:
		return "mysql"
	}
	return "unknown"
}

// DetectDialect returns the dialect of db's driver, when it is a [Driver]
// (the *sql.DB that package mysql's or sqlite's Open returns). It does no
// I/O.
func DetectDialect(db *sql.DB) (Dialect, error) {
	if db == nil {
		return DialectUnknown, fmt.Errorf("%w: no database", ErrUnknownDialect)
	}
	if d := driverOf(db); d != nil {
		return d.Dialect(), nil
	}
	return DialectUnknown, fmt.Errorf("%w: driver %T is not a logstats.Driver; open the database with github.com/logstats/logstats/mysql or .../sqlite, or set the Dialect field to DialectMySQL or DialectSQLite", ErrUnknownDialect, db.Driver())
}

// resolveDialect returns d if it is set, else the dialect detected from db.
func resolveDialect(db *sql.DB, d Dialect) (Dialect, error) {
	if d != DialectUnknown {
		return d, nil
	}
	return DetectDialect(db)
}

// forUpdate is the suffix that locks the rows a SELECT reads until the end of
// the transaction. SQLite needs none: a write transaction locks the database.
func (d Dialect) forUpdate() string {
	if d == DialectMySQL {
		return " FOR UPDATE"
	}
	return ""
}

// insertIgnore returns an INSERT that does nothing when the key exists.
func (d Dialect) insertIgnore(table, columns, values string) string {
	if d == DialectMySQL {
		// Not INSERT IGNORE: that would also turn other errors into warnings.
		first, _, _ := strings.Cut(columns, ",")
		return "INSERT INTO " + table + " (" + columns + ") VALUES " + values +
			" ON DUPLICATE KEY UPDATE " + first + " = " + first
	}
	return "INSERT INTO " + table + " (" + columns + ") VALUES " + values + " ON CONFLICT DO NOTHING"
}

// placeholders returns "(?, ?, ...)" for n columns repeated for rows rows.
func placeholders(columns, rows int) string {
	one := "(" + strings.Repeat("?, ", columns-1) + "?)"
	var b strings.Builder
	b.Grow(rows * (len(one) + 2))
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	return b.String()
}

// maxParams is how many placeholders one statement may have: SQLite's default
// SQLITE_MAX_VARIABLE_NUMBER is 32766, MySQL's limit is 65535.
func (d Dialect) maxParams() int {
	if d == DialectMySQL {
		return 65535
	}
	return 32766
}

// columnExists reports whether table has a column named column.
func (d Dialect) columnExists(ctx context.Context, tx *sql.Tx, table, column string) (bool, error) {
	query := `SELECT COUNT(*) FROM information_schema.COLUMNS
		WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`
	if d == DialectSQLite {
		query = `SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`
	}
	var n int
	if err := tx.QueryRowContext(ctx, query, table, column).Scan(&n); err != nil {
		return false, fmt.Errorf("look for column %s.%s: %w", table, column, err)
	}
	return n > 0, nil
}
