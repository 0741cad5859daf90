package httpapi

// Routes lists every endpoint of the API, "METHOD /path", for the tests
// that must cover each one.
func Routes() []string {
	s, _ := newServer(Deps{}, Options{})
	return s.routes
}
