package logstats

import "strings"

// sourceReading is how a source's lines are read, as the ledger records it:
// what decides what its lines count as.
type sourceReading struct {
	format, customer, customerDefault string
}

// legacyReading is how a source recorded before formats existed was read.
var legacyReading = sourceReading{format: "logstats"}

func (r sourceReading) String() string {
	s := "format " + r.format
	if r.customer != "" {
		s += ", customer " + r.customer
	}
	if r.customerDefault != "" {
		s += ", customer default " + r.customerDefault
	}
	return s
}

// same reports whether r and o read every line the same way, however they
// spell their format and customer selector.
func (r sourceReading) same(o sourceReading) bool {
	if r == o {
		return true
	}
	if r.customerDefault != o.customerDefault {
		return false
	}
	mine, err1 := r.signature()
	theirs, err2 := o.signature()
	return err1 == nil && err2 == nil && mine == theirs
}

// signature is the signature of r's format with r's customer selector.
func (r sourceReading) signature() (string, error) {
	f, err := ParseFormat(r.format)
	if err != nil {
		return "", err
	}
	sel, err := ParseCustomerSelector(r.customer)
	if err != nil {
		return "", err
	}
	return f.signature(sel)
}

// flags returns the runner's flags that read a source as r says, quoted
// for a POSIX shell.
func (r sourceReading) flags() string {
	s := "-format " + shellQuote(r.format)
	if r.customer != "" {
		s += " -customer " + shellQuote(r.customer)
	}
	if r.customerDefault != "" {
		s += " -customer-default " + shellQuote(r.customerDefault)
	}
	return s
}

// shellQuote quotes s for a POSIX shell: 'it'\”s'.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
