package logstats

// isNoSpace reports false: Plan 9 has no ENOSPC, and says a disk is full
// only in an error's text.
func isNoSpace(error) bool { return false }
