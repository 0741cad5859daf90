package logstats

import (
	"fmt"
	"strings"
)

// A formatText is a format string read from the text a user pasted (a
// log_format or LogFormat line, say), which remembers where each of its
// bytes was in that text, so that a message can point at it there.
type formatText struct {
	s     string // the format string
	src   string // the text as pasted
	at    []int  // at[i]: the offset in src of s[i]; nil when s is src
	named string // the server's predefined name it was ("combined"), or ""
}

// plainText is s read as it is.
func plainText(s string) formatText { return formatText{s: s, src: s} }

// where says where s[i] was in the pasted text: "column 17", or "line 2,
// column 5" when the text has several lines; for a predefined name, in its
// format string.
func (t formatText) where(i int) string {
	src, off := t.src, i
	if t.at != nil {
		switch {
		case i < len(t.at):
			off = t.at[i]
		case len(t.at) > 0:
			off = t.at[len(t.at)-1] + 1
		default:
			off = len(src)
		}
	}
	if t.named != "" {
		src, off = t.s, i
	}
	off = min(max(off, 0), len(src))
	line := strings.Count(src[:off], "\n")
	col := off - (strings.LastIndexByte(src[:off], '\n') + 1) + 1
	pos := fmt.Sprintf("column %d", col)
	if strings.Contains(src, "\n") {
		pos = fmt.Sprintf("line %d, column %d", line+1, col)
	}
	if t.named != "" {
		pos += fmt.Sprintf(" of %s (%s)", t.named, t.s)
	}
	return pos
}

// excerpt is the text of s from i on, cut short, for messages.
func excerpt(s string, i int) string {
	s = s[min(i, len(s)):]
	if len(s) > 24 {
		s = s[:24] + "..."
	}
	return s
}

// A confArg is one argument of a directive of a server's configuration,
// unescaped.
type confArg struct {
	text   string
	at     []int // at[i]: the offset of text[i] in the directive
	start  int   // the offset of its first byte (its quote) in the directive
	quoted byte  // ' or ", or 0 for a bare word
}

// A confSyntax is how a server's configuration writes a directive's
// arguments: separated by whitespace, each bare or in ' or " quotes.
type confSyntax struct {
	directive string // its name, for messages
	// escape returns what \c stands for in an argument quoted with quote
	// (0: bare), if anything.
	escape func(quote, c byte) (byte, bool)
	// comments: # at an argument's start comments out the rest of its
	// line, and ; ends the directive (nginx).
	comments bool
	// continuation: a \ that ends a line joins it with the next (Apache).
	continuation bool
}

func isConfSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// split splits one directive into its arguments. With comments, only
// whitespace and comments may follow the ; that ends it.
func (syn confSyntax) split(s string) ([]confArg, error) {
	where := func(i int) string { return formatText{src: s}.where(i) }
	var args []confArg
	ended := false
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isConfSpace(c):
			i++
			continue
		case syn.continues(s, i) > 0:
			i += syn.continues(s, i)
			continue
		case syn.comments && c == '#':
			if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
				i += j
			} else {
				i = len(s)
			}
			continue
		case ended:
			return nil, fmt.Errorf("%q at %s follows the ; that ends the %s; paste one %s", excerpt(s, i), where(i), syn.directive, syn.directive)
		case syn.comments && c == ';':
			ended = true
			i++
			continue
		}
		a := confArg{start: i}
		if c == '\'' || c == '"' {
			a.quoted = c
			i++
		}
		var text []byte
		for {
			if i >= len(s) {
				if a.quoted != 0 {
					return nil, fmt.Errorf("unterminated quote %c at %s", a.quoted, where(a.start))
				}
				break
			}
			c := s[i]
			if n := syn.continues(s, i); n > 0 {
				i += n
				continue
			}
			if a.quoted != 0 && c == a.quoted {
				i++
				break
			}
			if a.quoted == 0 && (isConfSpace(c) || syn.comments && c == ';') {
				break
			}
			if c == '\\' && i+1 < len(s) {
				if u, ok := syn.escape(a.quoted, s[i+1]); ok {
					text = append(text, u)
					a.at = append(a.at, i)
					i += 2
					continue
				}
			}
			text = append(text, c)
			a.at = append(a.at, i)
			i++
		}
		a.text = string(text)
		args = append(args, a)
	}
	return args, nil
}

// continues returns the length of the \ and line end at s[i] that join a
// line with the next, or 0.
func (syn confSyntax) continues(s string, i int) int {
	switch {
	case !syn.continuation:
		return 0
	case strings.HasPrefix(s[i:], "\\\n"):
		return 2
	case strings.HasPrefix(s[i:], "\\\r\n"):
		return 3
	}
	return 0
}
