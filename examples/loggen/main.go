// Command loggen writes a realistic, deterministic API request log: the same
// flags always give the same bytes. It made the samples in testdata/:
//
//	go run ./examples/loggen -lines 2000 -customers 50 -days 14 -malformed 0.005 -o testdata/api_requests.log
//	seed=2; for f in nginx apache envoy alb caddy jsonl; do
//	  go run ./examples/loggen -format $f -lines 300 -customers 12 -days 3 -malformed 0.01 -seed $seed -o testdata/$f.log
//	  seed=$((seed+1))
//	done
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/logstats/logstats/internal/loggen"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loggen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	def := loggen.DefaultConfig()
	fs := flag.NewFlagSet("loggen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lines := fs.Int("lines", def.Lines, "lines to write")
	customers := fs.Int("customers", def.Customers, "number of customers (cust_1 ... cust_N)")
	days := fs.Int("days", def.Days, "number of days covered")
	start := fs.String("start", def.Start.Format(time.DateOnly), "first day, YYYY-MM-DD")
	seed := fs.Uint64("seed", def.Seed, "random seed; the same seed gives the same log")
	malformed := fs.Float64("malformed", 0, "fraction of malformed lines, 0 to 1")
	sorted := fs.Bool("sorted", false, "write timestamps in ascending order (default: shuffled)")
	format := fs.String("format", "logstats", "log format: "+strings.Join(loggen.Formats, ", "))
	out := fs.String("o", "-", "output file; - is stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; see -h", fs.Arg(0))
	}
	startDay, err := time.Parse(time.DateOnly, *start)
	if err != nil {
		return fmt.Errorf("-start: want YYYY-MM-DD: %v", err)
	}
	cfg := loggen.Config{
		Lines: *lines, Customers: *customers, Days: *days, Start: startDay,
		Seed: *seed, MalformedRate: *malformed, Sorted: *sorted, Format: *format,
	}
	w := stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
		if err := loggen.Write(w, cfg); err != nil {
			return err
		}
		return f.Close()
	}
	return loggen.Write(w, cfg)
}
