package cli

import (
	"errors"
	"fmt"
	"testing"

	"github.com/logstats/logstats"
)

func TestAdvice(t *testing.T) {
	nginx, _ := logstats.ParseFormat("nginx")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&logstats.WrongFormatError{Fits: []logstats.Format{nginx}}, "pass -format nginx"},
		{&logstats.WrongFormatError{}, "pass -format nginx:'<your log_format>' or -format apache:'<your LogFormat>'"},
		{fmt.Errorf("a.log: %w", &logstats.ReadingChangedError{Source: "a.log", Format: "nginx", Customer: "path:/v1/{}/", CustomerDefault: "it's"}),
			`load it with -format nginx -customer 'path:/v1/{}/' -customer-default 'it'\''s' -dimension '', or, if those were wrong, undo that load with -forget a.log and load it again`},
		{&logstats.ReadingChangedError{Source: "b.log", Format: "jsonl", Dimensions: []string{"region=meta.region", "tier=query:tier"}},
			`load it with -format jsonl -dimension region=meta.region -dimension tier=query:tier, or, if those were wrong, undo that load with -forget b.log and load it again`},
		{&logstats.AmbiguousFormatError{Line: 3}, "choose the format with -format"},
		{fmt.Errorf("load: %w", &logstats.RawModeError{Recorded: logstats.RawRows, Mode: logstats.RawBlocks}), "use -raw rows (or leave -raw out), or load into a new database"},
		{errors.New("other"), ""},
	} {
		if got := Advice(tc.err); got != tc.want {
			t.Errorf("Advice(%v)=%q, want %q", tc.err, got, tc.want)
		}
		if err := WithAdvice(tc.err); tc.want != "" && (!errors.Is(err, tc.err) || err.Error() != tc.err.Error()+"; "+tc.want) {
			t.Errorf("WithAdvice(%v)=%v", tc.err, err)
		}
	}
}
