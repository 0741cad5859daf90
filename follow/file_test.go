package follow

import (
	"context"
	"path/filepath"
	"testing"
)

// TestAdvance_RenamedSinceScan: a closed file renamed between the scan that
// found it and its open (logrotate moving access.log.2.gz to .3.gz) is not
// an error: the next scan finds it under its new name. CI once saw the
// error stay on a compressed copy that was loaded already, and so never
// opened again to clear it.
func TestAdvance_RenamedSinceScan(t *testing.T) {
	f := &Follower{}
	tr := &tracked{path: filepath.Join(t.TempDir(), "access.log.2.gz"), gzip: true, size: 10, loaded: 5}
	f.advance(context.Background(), tr, 10)
	if tr.lastErr != nil || tr.err != nil || !tr.retryAt.IsZero() {
		t.Fatalf("after an open that found the file renamed: last error %v, error %v, retry at %v; want none", tr.lastErr, tr.err, tr.retryAt)
	}
}
