package runner

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/logstats/logstats"
)

// CreatedKey is a key -create-key made: the key itself is in it, shown
// this once.
type CreatedKey struct {
	ID         string `json:"id"`
	CustomerID string `json:"customer_id"`
	Label      string `json:"label"`
	Key        string `json:"key"`
	// Link opens the dashboard on the key's customer (with -link).
	Link string `json:"link,omitempty"`
}

// keysAsked reports whether cfg asks for a key command instead of a load.
func (cfg Config) keysAsked() bool {
	return cfg.CreateKey != "" || cfg.ListKeys || cfg.RevokeKey != ""
}

// runKeys does -create-key, -list-keys or -revoke-key.
func runKeys(ctx context.Context, cfg Config, env Env, sum *Summary, text io.Writer) error {
	n := 0
	for _, asked := range []bool{cfg.CreateKey != "", cfg.ListKeys, cfg.RevokeKey != ""} {
		if asked {
			n++
		}
	}
	switch {
	case n > 1:
		return fmt.Errorf("-create-key, -list-keys and -revoke-key go one at a time")
	case len(cfg.Args) > 0:
		return fmt.Errorf("the key commands read no file: drop the FILE arguments")
	case cfg.Follow || cfg.DryRun || cfg.Verify || cfg.PruneBefore != "":
		return fmt.Errorf("the key commands go with none of -follow, -dry-run, -verify and -prune-before")
	case cfg.CreateKey == "" && (cfg.KeyLabel != "" || cfg.Link != ""):
		return fmt.Errorf("-key-label and -link go with -create-key")
	}
	var base string
	if cfg.Link != "" {
		var err error
		if base, err = linkBase(cfg.Link); err != nil {
			return err
		}
	}
	db, err := env.OpenDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	ks := logstats.NewKeyService(db)
	switch {
	case cfg.CreateKey != "":
		k, secret, err := ks.CreateKey(ctx, cfg.CreateKey, cfg.KeyLabel)
		if err != nil {
			return fmt.Errorf("-create-key: %w", err)
		}
		ck := &CreatedKey{ID: k.ID, CustomerID: k.CustomerID, Label: k.Label, Key: secret}
		if base != "" {
			ck.Link = base + "#key=" + secret
		}
		sum.CreatedKey = ck
		fmt.Fprintf(text, "created key %s for customer %s; the key (shown this once, only its SHA-256 is stored):\n%s\n", k.ID, k.CustomerID, secret)
		if ck.Link != "" {
			fmt.Fprintf(text, "the customer's dashboard: %s\n", ck.Link)
		}
		fmt.Fprintf(text, "revoke it with: runner -revoke-key %s\n", k.ID)
	case cfg.ListKeys:
		keys, err := ks.FindKeys(ctx)
		if err != nil {
			return err
		}
		sum.Keys = keys
		tw := tabwriter.NewWriter(text, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCUSTOMER\tLABEL\tCREATED\tLAST USED")
		for _, k := range keys {
			used := "never"
			if k.LastUsed != nil {
				used = k.LastUsed.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.CustomerID, k.Label, k.Created.Format(time.RFC3339), used)
		}
		tw.Flush()
		fmt.Fprintf(text, "%d keys\n", len(keys))
	default:
		if err := ks.RevokeKey(ctx, cfg.RevokeKey); err != nil {
			return fmt.Errorf("-revoke-key: %w (-list-keys shows the ids)", err)
		}
		sum.RevokedKey = cfg.RevokeKey
		fmt.Fprintf(text, "revoked key %s: it reads nothing from now on\n", cfg.RevokeKey)
	}
	return nil
}

// linkBase returns the dashboard's address from -link: an http or https
// URL, ending in a slash, the key's fragment to go after it.
func linkBase(link string) (string, error) {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" || u.RawQuery != "" {
		return "", fmt.Errorf("-link %q: want the dashboard's address, such as https://stats.example.com/ (http or https, no query or #)", link)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String(), nil
}
