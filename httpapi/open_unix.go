//go:build unix

package httpapi

import "syscall"

// openNonblock makes opening a FIFO return at once instead of waiting for a
// writer. On a regular file it changes nothing.
const openNonblock = syscall.O_NONBLOCK
