//go:build !unix

package follow

import "os"

// fileID is a file's identity. Without inodes it is its name, so a renamed
// file is a new file (whose lines the ledger has: nothing is loaded twice,
// but its tail is read again from the start).
type fileID struct{ path string }

func idOf(path string, fi os.FileInfo) fileID { return fileID{path: path} }
