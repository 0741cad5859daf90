package mysql_test

import (
	"context"
	"log"
	"os"

	"github.com/logstats/logstats"
	"github.com/logstats/logstats/mysql"
)

// Open a MySQL or MariaDB database and load a log into it: the Ingester
// takes the dialect, LOAD DATA and the retry of deadlocks from the driver.
// (This example needs a MySQL server, so it only compiles.)
func ExampleOpen() {
	ctx := context.Background()
	db, err := mysql.Open("log_user:pw@tcp(localhost:3306)/log_db")
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	if err := logstats.Migrate(ctx, db); err != nil {
		log.Fatal(err)
	}
	f, err := os.Open("api_requests.log")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	res, err := logstats.NewIngester(db).Load(ctx, "api_requests.log", f, logstats.LoadOptions{Growing: true})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("%d requests loaded", res.Inserted)
}
