package logstats

import (
	"fmt"
	"strings"
)

// sourceReading is how a source's lines are read, as the ledger records it:
// what decides what its lines count as.
type sourceReading struct {
	format, customer, customerDefault string
	dimensions                        string // as dimensionsText writes them
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
	if r.dimensions != "" {
		s += ", dimensions " + strings.ReplaceAll(r.dimensions, "\n", " ")
	}
	return s
}

// describe is String, saying "no dimensions" when r has none and o has
// some: what tells two readings apart.
func (r sourceReading) describe(o sourceReading) string {
	if r.dimensions == "" && o.dimensions != "" {
		return r.String() + ", no dimensions"
	}
	return r.String()
}

// same reports whether r and o read every line the same way, however they
// spell their format and customer selector.
func (r sourceReading) same(o sourceReading) bool {
	if r == o {
		return true
	}
	if r.customerDefault != o.customerDefault || !sameDimensions(r.dimensions, o.dimensions) {
		return false
	}
	mine, err1 := r.signature()
	theirs, err2 := o.signature()
	return err1 == nil && err2 == nil && mine == theirs
}

// sameDimensions reports whether two lists of dimensions, as the ledger
// records them, read the same values: the same names in the same order,
// each selecting the same (a header's name in any case, as a format
// matches it).
func sameDimensions(a, b string) bool {
	if a == b {
		return true
	}
	as, bs := dimensionItems(a), dimensionItems(b)
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		da, err1 := ParseDimension(as[i])
		db, err2 := ParseDimension(bs[i])
		if err1 != nil || err2 != nil || da.Name != db.Name || da.Selector.kind != db.Selector.kind {
			return false
		}
		if da.Selector.name != db.Selector.name && (da.Selector.kind != selectField || !sameFieldName(da.Selector.name, db.Selector.name)) {
			return false
		}
	}
	return true
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

// A ReadingChangedError is a load that would read a source otherwise (in
// another format, with another customer selector or default customer) than
// the loads that committed its lines before, which would count them
// differently: errors.Is(err, ErrReadingChanged) holds for it. Nothing was
// loaded. Its fields are how the source was read before, which a load of
// it must repeat.
type ReadingChangedError struct {
	Source string // the source's name
	// Format, Customer, CustomerDefault and Dimensions are the settings
	// the source was read with, as the ledger records them (as
	// ParseSettings takes them; Customer "" is the format's own,
	// CustomerDefault "" none).
	Format, Customer, CustomerDefault string
	Dimensions                        []string
	reading                           sourceReading // how this load would read it
}

// readingChanged returns the error of a load of source name that reads it
// as reading says where the loads before read it as recorded says.
func readingChanged(name string, recorded, reading sourceReading) error {
	return &ReadingChangedError{Source: name, Format: recorded.format, Customer: recorded.customer, CustomerDefault: recorded.customerDefault, Dimensions: dimensionItems(recorded.dimensions), reading: reading}
}

func (e *ReadingChangedError) Error() string {
	recorded := sourceReading{e.Format, e.Customer, e.CustomerDefault, strings.Join(e.Dimensions, "\n")}
	if e.reading == (sourceReading{}) { // made by a caller, not by a load
		return fmt.Sprintf("%v: %s was loaded reading %s; this load reads it otherwise, which would count its lines differently. Nothing was loaded",
			ErrReadingChanged, e.Source, recorded)
	}
	return fmt.Sprintf("%v: %s was loaded reading %s; this load reads %s, which would count its lines differently. Nothing was loaded",
		ErrReadingChanged, e.Source, recorded.describe(e.reading), e.reading.describe(recorded))
}

// Unwrap returns ErrReadingChanged.
func (e *ReadingChangedError) Unwrap() error { return ErrReadingChanged }
