//go:build !plan9

package logstats

import (
	"errors"
	"syscall"
)

// isNoSpace reports whether err is the system's error for a write to a
// full disk.
func isNoSpace(err error) bool { return errors.Is(err, syscall.ENOSPC) }
