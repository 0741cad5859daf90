package loaddata_test

import (
	"context"
	"database/sql"
	"log"
	"os"

	_ "github.com/go-sql-driver/mysql"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/loaddata"
)

// An Ingester on MySQL sends raw rows with LOAD DATA LOCAL INFILE once its
// BulkLoader is set. (This example needs a MySQL server, so it only
// compiles.)
func ExampleLoader() {
	ctx := context.Background()
	db, err := sql.Open("mysql", "log_user:pw@tcp(localhost:3306)/log_db")
	if err != nil {
		log.Fatal(err)
	}
	if err := logstats.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}
	ing := logstats.NewIngester(db)
	ing.BulkLoader = loaddata.Loader{}
	f, err := os.Open("api_requests.log")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	res, err := ing.Load(ctx, "api_requests.log", f, logstats.LoadOptions{Growing: true})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("%d requests loaded", res.Inserted)
}
