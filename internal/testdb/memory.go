package testdb

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// WriteDistinctLog writes a log of n lines in the logstats format, each of
// its own customer (cust_0, cust_1, ...), over 28 days, as
// dir/distinct.log, and returns its path: the worst case for anything a
// load keeps per customer.
func WriteDistinctLog(tb testing.TB, dir string, n int) string {
	tb.Helper()
	path := filepath.Join(dir, "distinct.log")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var line []byte
	for i := range n {
		// 2024-10-DD 12:MM:SS cust_I /api/v1/x 200 0.LLL
		line = fmt.Appendf(line[:0], "2024-10-%02d 12:%02d:%02d cust_", 1+i%28, i/60%60, i%60)
		line = strconv.AppendInt(line, int64(i), 10)
		line = fmt.Appendf(line, " /api/v1/x 200 0.%03d\n", i%1000)
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// ProcMemory returns a process's resident memory in bytes, read from
// /proc/PID/status: field "VmRSS" (now) or "VmHWM" (the peak).
func ProcMemory(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}
