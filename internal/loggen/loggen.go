// Package loggen writes realistic, deterministic API request logs: the same
// Config always gives the same bytes.
package loggen

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config describes a log to generate.
type Config struct {
	Lines     int       // lines to write, malformed ones included
	Customers int       // customers cust_1 ... cust_N; a few get most traffic
	Days      int       // days covered, starting at Start
	Start     time.Time // first day (its date is used, in UTC)
	Seed      uint64
	// MalformedRate is the fraction of lines that are malformed, in [0, 1].
	MalformedRate float64
	// Sorted writes timestamps in ascending order; by default they are
	// shuffled within the range, as when logs of several servers are merged.
	Sorted bool
	// Format is the log format: "logstats" (the default), "nginx" or
	// "apache", as logstats.ParseFormat names them. The customer is the
	// remote user of the nginx and Apache formats.
	Format string
	// UntimedRate is the fraction of requests written without a latency
	// ("-", null: logstats.NoLatency), in [0, 1]. The combined format has
	// none at all.
	UntimedRate float64
}

// NoLatency is the Latency of a Request written without one, as
// logstats.NoLatency.
const NoLatency = -time.Microsecond

// Formats are the formats Write can write. In the envoy and alb formats,
// which have no customer field, the customer is the query parameter
// api_key; in haproxy, the captured request header (selector hr).
var Formats = []string{"logstats", "nginx", "apache", "combined", "envoy", "alb", "caddy", "jsonl", "haproxy", "traefik"}

// A Request is one line's request.
type Request struct {
	Time     time.Time // whole seconds
	Customer string    // "" writes the format's mark of none ("-")
	Method   string
	Path     string // with a query string, if any
	Status   int
	Latency  time.Duration // whole milliseconds for nginx, envoy, alb, haproxy and traefik, microseconds otherwise
	Addr     string        // the client's address
	Bytes    int           // the response's size
}

// Append appends r as a line of format (without its newline).
func Append(line []byte, format string, r Request) ([]byte, error) {
	customer := r.Customer
	if customer == "" {
		customer = "-"
	}
	switch format {
	case "", "logstats":
		line = r.Time.UTC().AppendFormat(line, "2006-01-02 15:04:05")
		line = append(line, ' ')
		line = append(line, customer...)
		line = append(line, ' ')
		line = append(line, r.Path...)
		line = append(line, ' ')
		line = strconv.AppendInt(line, int64(r.Status), 10)
		line = append(line, ' ')
		if r.Latency < 0 {
			return append(line, '-'), nil
		}
		if r.Latency%time.Millisecond == 0 {
			return strconv.AppendFloat(line, float64(r.Latency.Milliseconds())/1000, 'f', 3, 64), nil
		}
		return strconv.AppendFloat(line, float64(r.Latency.Microseconds())/1e6, 'f', 6, 64), nil
	case "nginx", "apache", "combined", "traefik":
		line = append(line, r.Addr...)
		line = append(line, " - "...)
		line = append(line, customer...)
		line = append(line, " ["...)
		line = r.Time.AppendFormat(line, "02/Jan/2006:15:04:05 -0700")
		line = append(line, "] \""...)
		line = append(line, r.Method...)
		line = append(line, ' ')
		line = append(line, r.Path...)
		line = append(line, " HTTP/1.1\" "...)
		line = strconv.AppendInt(line, int64(r.Status), 10)
		line = append(line, ' ')
		line = strconv.AppendInt(line, int64(r.Bytes), 10)
		line = append(line, ` "-" "loggen/1.0 (+https://example.com/bot)"`...)
		switch {
		case format == "combined":
			return line, nil
		case format == "traefik" && r.Latency < 0:
			return line, fmt.Errorf("loggen: traefik logs a duration for every request")
		case r.Latency < 0:
			return append(line, " -"...), nil
		case format == "traefik":
			line = append(line, ` 1 "api@docker" "http://10.0.0.1:8080" `...)
			line = strconv.AppendInt(line, r.Latency.Milliseconds(), 10)
			return append(line, "ms"...), nil
		}
		line = append(line, ' ')
		if format == "nginx" {
			return strconv.AppendFloat(line, r.Latency.Seconds(), 'f', 3, 64), nil
		}
		return strconv.AppendInt(line, r.Latency.Microseconds(), 10), nil
	case "envoy":
		line = append(line, '[')
		line = r.Time.UTC().AppendFormat(line, "2006-01-02T15:04:05.000Z")
		line = append(line, "] \""...)
		line = append(line, r.Method...)
		line = append(line, ' ')
		line = appendWithKey(line, r.Path, r.Customer)
		line = append(line, " HTTP/1.1\" "...)
		line = strconv.AppendInt(line, int64(r.Status), 10)
		line = append(line, " - 0 "...)
		line = strconv.AppendInt(line, int64(r.Bytes), 10)
		line = append(line, ' ')
		line = appendNumber(line, r.Latency, "-", func(b []byte) []byte { return strconv.AppendInt(b, r.Latency.Milliseconds(), 10) })
		line = append(line, ` - "`...)
		line = append(line, r.Addr...)
		return append(line, `" "loggen/1.0" "5f2c-77a1" "api.example.com" "10.0.0.1:8080"`...), nil
	case "alb":
		line = append(line, "https "...)
		line = r.Time.UTC().AppendFormat(line, "2006-01-02T15:04:05.000000Z")
		line = append(line, " app/api-lb/50dc6c495c0c9188 "...)
		line = append(line, r.Addr...)
		if r.Latency < 0 {
			line = append(line, ":41000 10.0.0.1:80 -1 -1 -1 "...)
		} else {
			line = append(line, ":41000 10.0.0.1:80 0.000 "...)
			line = strconv.AppendFloat(line, r.Latency.Seconds(), 'f', 3, 64)
			line = append(line, " 0.000 "...)
		}
		line = strconv.AppendInt(line, int64(r.Status), 10)
		line = append(line, ' ')
		line = strconv.AppendInt(line, int64(r.Status), 10)
		line = append(line, " 120 "...)
		line = strconv.AppendInt(line, int64(r.Bytes), 10)
		line = append(line, " \""...)
		line = append(line, r.Method...)
		line = append(line, " https://api.example.com:443"...)
		line = appendWithKey(line, r.Path, r.Customer)
		line = append(line, ` HTTP/1.1" "loggen/1.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/api/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "api.example.com" "-" 0 `...)
		line = r.Time.UTC().AppendFormat(line, "2006-01-02T15:04:05.000000Z")
		return append(line, ` "forward" "-" "-" "10.0.0.1:80" "200" "-" "-"`...), nil
	case "haproxy":
		line = r.Time.UTC().AppendFormat(line, "Jan _2 15:04:05")
		line = append(line, " lb1 haproxy[14389]: "...)
		line = append(line, r.Addr...)
		line = append(line, ":41000 ["...)
		line = r.Time.UTC().AppendFormat(line, "02/Jan/2006:15:04:05.000")
		line = append(line, "] api-in api/srv1 0/0/0/"...)
		ms := func(b []byte) []byte { return strconv.AppendInt(b, r.Latency.Milliseconds(), 10) }
		line = appendNumber(line, r.Latency, "-1", ms)
		line = append(line, '/')
		line = appendNumber(line, r.Latency, "-1", ms)
		line = append(line, ' ')
		line = strconv.AppendInt(line, int64(r.Status), 10)
		line = append(line, ' ')
		line = strconv.AppendInt(line, int64(r.Bytes), 10)
		line = append(line, " - - ---- 1/1/0/0/0 0/0 {"...)
		line = append(line, r.Customer...)
		line = append(line, "} \""...)
		line = append(line, r.Method...)
		line = append(line, ' ')
		line = append(line, r.Path...)
		return append(line, " HTTP/1.1\""...), nil
	case "caddy":
		line = append(line, `{"level":"info","ts":`...)
		line = strconv.AppendInt(line, r.Time.Unix(), 10)
		line = append(line, `,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":`...)
		line = appendJSONString(line, r.Addr)
		line = append(line, `,"proto":"HTTP/1.1","method":`...)
		line = appendJSONString(line, r.Method)
		line = append(line, `,"host":"api.example.com","uri":`...)
		line = appendJSONString(line, r.Path)
		line = append(line, `,"headers":{"User-Agent":["loggen/1.0"]}},"bytes_read":0,"user_id":`...)
		line = appendJSONString(line, r.Customer)
		line = append(line, `,"duration":`...)
		line = appendNumber(line, r.Latency, "null", func(b []byte) []byte { return strconv.AppendFloat(b, r.Latency.Seconds(), 'f', -1, 64) })
		line = append(line, `,"size":`...)
		line = strconv.AppendInt(line, int64(r.Bytes), 10)
		line = append(line, `,"status":`...)
		line = strconv.AppendInt(line, int64(r.Status), 10)
		return append(line, '}'), nil
	case "jsonl":
		line = append(line, `{"time":`...)
		line = appendJSONString(line, r.Time.UTC().Format(time.RFC3339Nano))
		if r.Customer != "" {
			line = append(line, `,"customer_id":`...)
			line = appendJSONString(line, r.Customer)
		}
		line = append(line, `,"method":`...)
		line = appendJSONString(line, r.Method)
		line = append(line, `,"path":`...)
		line = appendJSONString(line, r.Path)
		line = append(line, `,"status":`...)
		line = strconv.AppendInt(line, int64(r.Status), 10)
		line = append(line, `,"latency":`...)
		line = appendNumber(line, r.Latency, "null", func(b []byte) []byte { return strconv.AppendFloat(b, r.Latency.Seconds(), 'f', -1, 64) })
		return append(line, '}'), nil
	}
	return line, fmt.Errorf("loggen: unknown format %q; want one of %v", format, Formats)
}

// DefaultConfig is the shape of the seed's logs: 50 customers over 30 days.
func DefaultConfig() Config {
	return Config{
		Lines:     100_000,
		Customers: 50,
		Days:      30,
		Start:     time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC),
		Seed:      1,
	}
}

var methods = []string{"GET", "GET", "GET", "GET", "POST", "POST", "PUT", "DELETE"}

var paths = []string{
	"/api/v1/resource1", "/api/v1/resource2", "/api/v1/resource3", "/api/v1/resource4",
	"/api/v1/users", "/api/v1/orders", "/api/v2/search", "/api/v2/reports/daily", "/health",
}

// Write writes the log described by cfg to w.
func Write(w io.Writer, cfg Config) error {
	if cfg.Lines < 0 || cfg.Customers < 1 || cfg.Days < 1 || cfg.MalformedRate < 0 || cfg.MalformedRate > 1 || cfg.UntimedRate < 0 || cfg.UntimedRate > 1 {
		return fmt.Errorf("loggen: want lines >= 0, customers >= 1, days >= 1 and malformed and untimed rates in [0, 1]")
	}
	if _, err := Append(nil, cfg.Format, Request{}); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	start := time.Date(cfg.Start.Year(), cfg.Start.Month(), cfg.Start.Day(), 0, 0, 0, 0, time.UTC).Unix()
	span := int64(cfg.Days) * 86400

	// Customer weights follow Zipf's law; each customer has its own error
	// rate and latency scale, so their stats differ.
	weights := make([]float64, cfg.Customers)
	errRates := make([]float64, cfg.Customers)
	medians := make([]float64, cfg.Customers)
	var total float64
	for i := range weights {
		weights[i] = 1 / math.Pow(float64(i+1), 0.8)
		total += weights[i]
		errRates[i] = 0.02 + 0.2*rng.Float64()*rng.Float64()
		medians[i] = 0.05 + 0.25*rng.Float64()
	}
	cum := make([]float64, cfg.Customers)
	acc := 0.0
	for i, wt := range weights {
		acc += wt / total
		cum[i] = acc
	}

	bw := bufio.NewWriterSize(w, 64<<10)
	var line []byte
	for i := range cfg.Lines {
		var ts int64
		if cfg.Sorted {
			ts = start + int64(float64(span)*float64(i)/float64(max(cfg.Lines, 1)))
		} else {
			ts = start + diurnal(rng, span)
		}
		c := pick(cum, rng.Float64())
		r := Request{Time: time.Unix(ts, 0).UTC(), Customer: "cust_" + strconv.Itoa(c+1), Method: "GET"}
		r.Path = paths[rng.IntN(len(paths))]
		r.Status = status(rng, errRates[c])
		r.Latency = time.Duration(math.Round(1000*latency(rng, medians[c]))) * time.Millisecond
		if cfg.UntimedRate > 0 && rng.Float64() < cfg.UntimedRate {
			r.Latency = NoLatency
		}
		if logstats := cfg.Format == "" || cfg.Format == "logstats"; !logstats {
			// Draws the logstats format does not make, so that its logs
			// stay the same bytes as before the other formats.
			r.Addr = "10.0." + strconv.Itoa(rng.IntN(256)) + "." + strconv.Itoa(1+rng.IntN(254))
			r.Method = methods[rng.IntN(len(methods))]
			r.Bytes = rng.IntN(20000)
			if rng.IntN(20) == 0 {
				r.Path += "?page=" + strconv.Itoa(1+rng.IntN(9))
			}
		}
		line = line[:0]
		var err error
		if line, err = Append(line, cfg.Format, r); err != nil {
			return err
		}
		if cfg.MalformedRate > 0 && rng.Float64() < cfg.MalformedRate {
			switch cfg.Format {
			case "", "logstats":
				line = malform(rng, line)
			case "nginx", "apache", "combined", "envoy":
				line = malformCombined(rng, line)
			default: // a write truncated before the fields logstats reads end
				line = line[:len(line)/4]
			}
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// appendNumber appends a latency with appendValue, or none, what the format
// writes for a request without one.
func appendNumber(line []byte, latency time.Duration, none string, appendValue func([]byte) []byte) []byte {
	if latency < 0 {
		return append(line, none...)
	}
	return appendValue(line)
}

// appendWithKey appends path with the customer as its api_key parameter.
func appendWithKey(line []byte, path, customer string) []byte {
	line = append(line, path...)
	if customer == "" {
		return line
	}
	if strings.IndexByte(path, '?') >= 0 {
		line = append(line, '&')
	} else {
		line = append(line, '?')
	}
	line = append(line, "api_key="...)
	return append(line, url.QueryEscape(customer)...)
}

// appendJSONString appends s as a JSON string.
func appendJSONString(line []byte, s string) []byte {
	line = append(line, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			line = append(line, '\\', c)
		case c < 0x20:
			line = append(line, fmt.Sprintf("\\u%04x", c)...)
		default:
			line = append(line, c)
		}
	}
	return append(line, '"')
}

// diurnal returns a second within span, busier in the (UTC) daytime.
func diurnal(rng *rand.Rand, span int64) int64 {
	for {
		s := rng.Int64N(span)
		hour := float64(s%86400) / 3600
		if rng.Float64() < 0.35+0.65*math.Sin(math.Pi*hour/24) {
			return s
		}
	}
}

func pick(cum []float64, u float64) int {
	for i, c := range cum {
		if u < c {
			return i
		}
	}
	return len(cum) - 1
}

func status(rng *rand.Rand, errRate float64) int {
	u := rng.Float64()
	switch {
	case u < errRate*0.3:
		return []int{500, 502, 503, 504}[rng.IntN(4)]
	case u < errRate:
		return []int{400, 401, 403, 404, 404, 429}[rng.IntN(6)]
	case u < errRate+0.03:
		return []int{301, 302, 304}[rng.IntN(3)]
	default:
		return []int{200, 200, 200, 201, 204}[rng.IntN(5)]
	}
}

// latency returns a log-normal latency in seconds with the given median and a
// long tail, capped at 30 seconds.
func latency(rng *rand.Rand, median float64) float64 {
	// Box-Muller, so that the stream of numbers depends only on Float64.
	u1, u2 := 1-rng.Float64(), rng.Float64()
	z := math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
	return min(median*math.Exp(0.7*z), 30)
}

// malform damages a valid line in one of the ways real logs go wrong.
func malform(rng *rand.Rand, line []byte) []byte {
	s := string(line)
	switch rng.IntN(6) {
	case 0: // truncated write
		return []byte(s[:len(s)/2])
	case 1:
		return []byte(s + " extra")
	case 2: // status replaced by a word
		return []byte(s[:20] + "cust_x /api/v1/resource1 OK 0.100")
	case 3: // impossible date
		return []byte("2024-02-30" + s[10:])
	case 4: // negative latency
		return []byte(s[:20] + "cust_x /api/v1/resource1 200 -0.100")
	default:
		return []byte("#" + s)
	}
}

// malformCombined damages a line of the nginx, Apache or Envoy format.
func malformCombined(rng *rand.Rand, line []byte) []byte {
	s := string(line)
	last := strings.LastIndexByte(s, ' ')
	switch rng.IntN(3) {
	case 0: // truncated write
		return []byte(s[:len(s)/2])
	case 1: // negative latency
		return []byte(s[:last] + " -1")
	default: // status replaced by a word
		i := strings.Index(s, "HTTP/1.1\" ")
		return []byte(s[:i] + "HTTP/1.1\" OK" + s[i+len("HTTP/1.1\" 200"):])
	}
}
