// Package loaddata lets a logstats.Ingester write raw rows to MySQL with
// LOAD DATA LOCAL INFILE through github.com/go-sql-driver/mysql, streaming
// them from memory (the driver's reader handlers); no file is written.
//
//	ing := logstats.NewIngester(db)
//	ing.BulkLoader = loaddata.Loader{}
//
// The server must allow it (local_infile=ON, MariaDB's default; MySQL 8
// defaults to OFF). When it does not, the Ingester falls back to multi-row
// INSERTs, as it does on engines that refuse LOAD DATA (Vitess).
package loaddata

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	"github.com/go-sql-driver/mysql"
)

// Loader is a logstats.BulkLoader for github.com/go-sql-driver/mysql.
type Loader struct{}

// LoadData registers r with the driver under a name unique to this call,
// executes stmt with that name as the file, and unregisters it.
func (Loader) LoadData(ctx context.Context, tx *sql.Tx, stmt func(file string) string, r io.Reader) (sql.Result, error) {
	// The driver's registry is process-wide; the reader's address makes the
	// name unique among the loads in flight.
	name := fmt.Sprintf("logstats-%p", r)
	mysql.RegisterReaderHandler(name, func() io.Reader { return r })
	defer mysql.DeregisterReaderHandler(name)
	return tx.ExecContext(ctx, stmt("Reader::"+name))
}
