package cli_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/internal/testwait"
)

// testShutdownFinishesRequests sends SIGTERM while a publish is being
// uploaded: serve stops accepting connections, finishes the publish (201,
// and the version is in the store afterwards), and only then exits 0.
func testShutdownFinishesRequests(t *testing.T, bin string) {
	dir := t.TempDir() + "/cr"
	admin := tokenRE.FindString(mustRunBin(t, bin, "init", dir))
	s := startServe(t, bin, t.TempDir(), "--dir", dir)
	data, err := os.ReadFile(archiveNamed(t, sampleArchives(t), "core-2.50.20.zip"))
	if err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(s.url, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/publish HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/zip\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", addr, admin, len(data))
	br := bufio.NewReader(conn)
	if line, err := br.ReadString('\n'); err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("before the body: %q, %v; want 100 Continue (the handler reading the upload)", line, err)
	}
	br.ReadString('\n') // the blank line ending the interim response
	conn.Write(data[:len(data)/2])

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	testwait.WaitFor(t, 30*time.Second, func() bool { // shutting down: no new connection
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	select {
	case <-s.exited:
		t.Fatalf("serve exited with a publish half uploaded\nstderr:\n%s", s.errOut)
	default:
	}
	conn.Write(data[len(data)/2:])
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("publish during shutdown: %v, %v; want 201\nstderr:\n%s", resp, err, s.errOut)
	}
	resp.Body.Close()
	select {
	case <-s.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("serve still running 60s after its last request\nstderr:\n%s", s.errOut)
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("serve exited %d, want 0\nstderr:\n%s", code, s.errOut)
	}
	if out := mustRunBin(t, bin, "list", "--dir", dir); !strings.Contains(out, "2.50.20") {
		t.Errorf("after the shutdown, list shows no core 2.50.20:\n%s", out)
	}
}
