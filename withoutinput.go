package logstats

import "errors"

// withheldInput stands for the bytes of a line that an error leaves out.
const withheldInput = "(value not shown)"

// WithoutInput returns e with a reason that quotes nothing of the line: a
// field's value that Reason quotes is replaced by "(value not shown)", and
// the rest (the line number, which field, what is wrong with it) is kept.
// Use it where the input is not the reader's to see, such as a file on a
// server loaded at an HTTP client's request: a reason that quotes a field
// would let the client read the file back through a format of its own
// choosing, a field at a time.
func (e *ParseError) WithoutInput() *ParseError {
	if e.quoteEnd == 0 {
		return e
	}
	return &ParseError{Line: e.Line, Reason: e.Reason[:e.quoteAt] + withheldInput + e.Reason[e.quoteEnd:], Err: e.Err}
}

// WithoutInput returns err with nothing of the input quoted in its message:
// a [*ParseError] in its chain (a strict load's) as its WithoutInput gives
// it, a [*WrongFormatError] with its First given that way. Any other error quotes no input and is returned as it is. The kind
// and the sentinel errors.Is finds are kept.
func WithoutInput(err error) error {
	var wf *WrongFormatError
	if errors.As(err, &wf) && wf.First != nil {
		withheld := *wf
		withheld.First = wf.First.WithoutInput()
		return &withheld
	}
	var pe *ParseError
	if errors.As(err, &pe) {
		return pe.WithoutInput()
	}
	return err
}
