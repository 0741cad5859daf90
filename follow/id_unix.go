//go:build unix

package follow

import (
	"os"
	"syscall"
)

// fileID is a file's identity, whatever its name: its device and inode.
type fileID struct{ dev, ino uint64 }

func idOf(path string, fi os.FileInfo) fileID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}
	}
	return fileID{}
}
