// Package jsonstr writes JSON strings as encoding/json writes them, without
// its reflection: the stats answers of httpapi and the exports of
// internal/export build their JSON by hand.
package jsonstr

import "encoding/json"

// Append appends s as a JSON string, escaped as encoding/json escapes it
// (HTML-safe, invalid UTF-8 replaced by U+FFFD).
func Append(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
