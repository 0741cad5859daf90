package logstats

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// KeyPrefix starts every customer key, so that a key is recognisable (in a
// secret scanner, in a support request) and never taken for another token.
const KeyPrefix = "lsk_"

// keyBytes is how many random bytes a key holds: 256 bits, beyond any
// guessing.
const keyBytes = 32

// MaxKeyLabelBytes bounds a key's label.
const MaxKeyLabelBytes = 200

// Errors of customer keys.
var (
	// ErrKeyNotFound means no key has the id asked for (it never existed,
	// or it was revoked).
	ErrKeyNotFound = newError(KindNotFound, "logstats: no such key")
	// ErrUnknownKey means a key that is not one of the database's: mistyped,
	// made up, or revoked. Authenticate returns it.
	ErrUnknownKey = newError(KindNotFound, "logstats: unknown or revoked key")
	// ErrInvalidLabel means a key label that is too long or holds control
	// characters.
	ErrInvalidLabel = newError(KindInvalid, "logstats: invalid key label")
)

// A Key lets its bearer read the numbers of one customer, and nothing else,
// through the HTTP API. The key itself (the secret) is not part of it: only
// its SHA-256 is stored, and CreateKey returns the secret once.
type Key struct {
	// ID names the key, to list and revoke it; it is not secret.
	ID string `json:"id"`
	// CustomerID is the customer whose numbers the key reads.
	CustomerID string `json:"customer_id"`
	// Label is a note for people, such as who the key was given to.
	Label string `json:"label"`
	// Created is when the key was created (UTC).
	Created time.Time `json:"created"`
	// LastUsed is when the key was last used, to the minute; nil if never.
	LastUsed *time.Time `json:"last_used"`
}

// KeyService creates, lists, revokes and checks customer keys, kept in the
// table logstats_keys (see [Migrate]). It is safe for concurrent use.
type KeyService struct {
	// Driver classifies the database's errors (see Ingester.Driver).
	// NewKeyService sets it from db's driver.
	Driver Driver
	// Now returns the current time. Default time.Now.
	Now func() time.Time

	db *sql.DB
}

// NewKeyService returns a KeyService over db. It does no I/O.
func NewKeyService(db *sql.DB) *KeyService {
	return &KeyService{db: db, Driver: driverOf(db), Now: time.Now}
}

func (s *KeyService) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// CreateKey makes a key for customerID and returns it with its secret: the
// string to send as "Authorization: Bearer <secret>", which is "lsk_" and 43
// base62 characters (32 random bytes). The secret is not stored and cannot
// be shown again. It returns an error of kind KindInvalid for a customer id
// that ValidCustomerID refuses or a label longer than MaxKeyLabelBytes or
// holding control characters. The customer need not have data yet.
func (s *KeyService) CreateKey(ctx context.Context, customerID, label string) (*Key, string, error) {
	if err := ValidCustomerID(customerID); err != nil {
		return nil, "", err
	}
	if err := validLabel(label); err != nil {
		return nil, "", err
	}
	secret := newKeySecret()
	sum := sha256.Sum256([]byte(secret))
	idBytes := make([]byte, 8)
	rand.Read(idBytes)
	k := &Key{ID: hex.EncodeToString(idBytes), CustomerID: customerID, Label: label, Created: s.now().UTC().Truncate(time.Microsecond)}
	_, err := s.db.ExecContext(ctx, `INSERT INTO logstats_keys (key_id, key_sha256, customer_id, label, created_us, last_used_us) VALUES (?, ?, ?, ?, ?, NULL)`,
		k.ID, sum[:], k.CustomerID, k.Label, k.Created.UnixMicro())
	if err != nil {
		return nil, "", classify(s.Driver, fmt.Errorf("create key: %w", err))
	}
	return k, secret, nil
}

// newKeySecret returns "lsk_" and 32 random bytes in base62.
func newKeySecret() string {
	b := make([]byte, keyBytes)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	digits := new(big.Int).SetBytes(b).Text(62)
	// Always 43 characters: 62^43 > 2^256.
	return KeyPrefix + strings.Repeat("0", 43-len(digits)) + digits
}

// validLabel checks a key's label.
func validLabel(label string) error {
	if len(label) > MaxKeyLabelBytes {
		return fmt.Errorf("%w: %d bytes, more than the limit of %d", ErrInvalidLabel, len(label), MaxKeyLabelBytes)
	}
	if !utf8.ValidString(label) {
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidLabel)
	}
	if strings.IndexFunc(label, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: it holds a control character", ErrInvalidLabel)
	}
	return nil
}

// FindKeys returns every key, oldest first (the secrets are never among
// what is stored).
func (s *KeyService) FindKeys(ctx context.Context) ([]Key, error) {
	keys, err := s.findKeys(ctx)
	return keys, classify(s.Driver, err)
}

func (s *KeyService) findKeys(ctx context.Context) ([]Key, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT key_id, customer_id, label, created_us, last_used_us FROM logstats_keys ORDER BY created_us, key_id`)
	if err != nil {
		return nil, fmt.Errorf("find keys: %w", err)
	}
	defer rows.Close()
	keys := []Key{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("find keys: %w", err)
		}
		keys = append(keys, *k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find keys: %w", err)
	}
	return keys, nil
}

// scanKey scans the columns key_id, customer_id, label, created_us,
// last_used_us.
func scanKey(row interface{ Scan(...any) error }) (*Key, error) {
	var k Key
	var created int64
	var lastUsed sql.NullInt64
	if err := row.Scan(&k.ID, &k.CustomerID, &k.Label, &created, &lastUsed); err != nil {
		return nil, err
	}
	k.Created = time.UnixMicro(created).UTC()
	if lastUsed.Valid {
		t := time.UnixMicro(lastUsed.Int64).UTC()
		k.LastUsed = &t
	}
	return &k, nil
}

// RevokeKey deletes the key with the given id: from the next request on, it
// reads nothing. It returns an error wrapping ErrKeyNotFound when there is
// no such key.
func (s *KeyService) RevokeKey(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM logstats_keys WHERE key_id = ?`, id)
	if err != nil {
		return classify(s.Driver, fmt.Errorf("revoke key: %w", err))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%w: %q", ErrKeyNotFound, truncateForMessage(id))
	}
	return nil
}

// lastUsedGrain is how precisely a key's last use is recorded: a request
// writes it only when the recorded one is older, so that reads through a
// key cost one write a minute at most.
const lastUsedGrain = time.Minute

// Authenticate returns the key whose secret is the given one, and records
// that it was used. It returns an error wrapping ErrUnknownKey when no key
// has this secret (a revoked key included); it looks the key up by the
// secret's SHA-256, so how long it takes says nothing of the secret.
func (s *KeyService) Authenticate(ctx context.Context, secret string) (*Key, error) {
	k, err := s.authenticate(ctx, secret)
	return k, classify(s.Driver, err)
}

func (s *KeyService) authenticate(ctx context.Context, secret string) (*Key, error) {
	if !strings.HasPrefix(secret, KeyPrefix) {
		return nil, ErrUnknownKey
	}
	sum := sha256.Sum256([]byte(secret))
	k, err := scanKey(s.db.QueryRowContext(ctx, `SELECT key_id, customer_id, label, created_us, last_used_us FROM logstats_keys WHERE key_sha256 = ?`, sum[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrUnknownKey
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate key: %w", err)
	}
	now := s.now().UTC()
	if k.LastUsed == nil || now.Sub(*k.LastUsed) >= lastUsedGrain {
		used := now.Truncate(lastUsedGrain)
		// A failure to record the use does not refuse the key.
		if _, err := s.db.ExecContext(ctx, `UPDATE logstats_keys SET last_used_us = ? WHERE key_id = ?`, used.UnixMicro(), k.ID); err == nil {
			k.LastUsed = &used
		}
	}
	return k, nil
}
