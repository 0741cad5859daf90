package logstats_test

import (
	"database/sql"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/internal/testdb"
)

// schemaDoc is the document of the current schema; its generated blocks are
// what TestSchemaDoc reads from a migrated database.
const schemaDoc = "docs/SCHEMA.md"

// TestSchemaDoc checks that docs/SCHEMA.md shows every table and key as
// Migrate leaves them, on each dialect, so that it cannot go stale. Run it
// with LOGSTATS_UPDATE_SCHEMA=1 to rewrite the generated blocks after a new
// migration.
func TestSchemaDoc(t *testing.T) {
	// The schema Migrate leaves on each dialect; a Spider head's is the
	// same tables as Spider links (package spider).
	forEachDialect(t, func(t *testing.T, db *testdb.DB) {
		got := dumpSchema(t, db.DB, db.Dialect)
		doc, err := os.ReadFile(schemaDoc)
		if err != nil {
			t.Fatal(err)
		}
		begin, end := "<!-- BEGIN generated "+db.Dialect.String()+" -->\n", "<!-- END generated "+db.Dialect.String()+" -->"
		i, j := strings.Index(string(doc), begin), strings.Index(string(doc), end)
		if i < 0 || j < i {
			t.Fatalf("%s has no %q ... %q block", schemaDoc, begin, end)
		}
		block := "```sql\n" + got + "```\n"
		if string(doc[i+len(begin):j]) == block {
			return
		}
		if os.Getenv("LOGSTATS_UPDATE_SCHEMA") == "1" {
			updated := string(doc[:i+len(begin)]) + block + string(doc[j:])
			if err := os.WriteFile(schemaDoc, []byte(updated), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		t.Fatalf("%s is stale for %s; rerun with LOGSTATS_UPDATE_SCHEMA=1. Migrate leaves:\n%s", schemaDoc, db.Dialect, got)
	})
}

// tableOptions is what MySQL prints after a table's closing parenthesis
// (engine, charset, collation), and intWidth the display width MariaDB and
// MySQL 5 print after integer types (MySQL 8 does not): the server's, not
// the schema's.
var (
	tableOptions = regexp.MustCompile(`(?m)^\) [A-Z].*$`)
	intWidth     = regexp.MustCompile(`\b(tinyint|smallint|int|bigint)\(\d+\)`)
)

// dumpSchema returns the CREATE statements of the database's tables and
// indexes, by name.
func dumpSchema(t *testing.T, db *sql.DB, d logstats.Dialect) string {
	t.Helper()
	var b strings.Builder
	if d == logstats.DialectSQLite {
		rows, err := db.Query(`SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var stmt string
			if err := rows.Scan(&stmt); err != nil {
				t.Fatal(err)
			}
			b.WriteString(stmt + ";\n\n")
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSuffix(b.String(), "\n")
	}
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	for _, name := range tables {
		var table, stmt string
		if err := db.QueryRow("SHOW CREATE TABLE "+name).Scan(&table, &stmt); err != nil {
			t.Fatal(err)
		}
		stmt = tableOptions.ReplaceAllString(stmt, ")")
		b.WriteString(intWidth.ReplaceAllString(stmt, "$1") + ";\n\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// forEachDialect runs fn on a fresh database of each dialect, the Spider
// head aside.
func forEachDialect(t *testing.T, fn func(t *testing.T, db *testdb.DB)) {
	for _, d := range testdb.Dialects {
		t.Run(d.String(), func(t *testing.T) { fn(t, testdb.Open(t, d)) })
	}
}
