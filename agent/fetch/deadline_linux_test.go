package fetch

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fullListener returns the address of a socket listening with a backlog
// of 0 whose queue is already full: a connection to it is never
// established (the kernel drops the SYNs).
func fullListener(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	for range 8 {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return addr // the queue is full
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("the kernel kept accepting connections past a backlog of 0")
	return ""
}

func TestConnectDeadline(t *testing.T) {
	t.Parallel()
	addr := fullListener(t)
	d := quick
	d.Window = time.Minute // only the connect deadline can end it
	d.Grace = time.Minute
	u := "http://" + addr + "/2.50/metadata/timestamp.json"
	start := time.Now()
	_, err := NewFetcher(nil, Limits{}, d).DownloadFile(u, 1<<10, 0)
	if !errors.Is(err, ErrTooSlow) || !strings.Contains(err.Error(), "no connection to "+addr+" within 300ms") || !strings.Contains(err.Error(), u) {
		t.Fatalf("DownloadFile from a server that never accepts = %v, want too slow: no connection within 300ms, naming %s", err, u)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("took %s", took)
	}
}
