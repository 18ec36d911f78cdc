//go:build unix

package platform

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestListenLocalMakesTheFolderAndSocket0660(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run", "upkeep", "upkeep.sock")
	l, err := ListenLocal(path, "")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o660 {
		t.Errorf("socket %v (%v), want a socket with mode 0660", fi.Mode(), err)
	}
	l.Close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("closing left the socket: %v", err)
	}
}

func TestListenLocalReplacesAStaleSocketOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "upkeep.sock")
	live, err := ListenLocal(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ListenLocal(path, ""); err == nil || !strings.Contains(err.Error(), "another agent") {
		t.Errorf("second listener: %v, want a refusal naming another agent", err)
	}
	live.(*net.UnixListener).SetUnlinkOnClose(false) // a crash leaves the file
	live.Close()
	l, err := ListenLocal(path, "")
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	l.Close()

	file := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(file, []byte("keep me"), 0o644)
	if _, err := ListenLocal(file, ""); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("a regular file: %v, want a refusal", err)
	}
	if data, _ := os.ReadFile(file); string(data) != "keep me" {
		t.Error("the regular file was touched")
	}
	if _, err := ListenLocal(filepath.Join(t.TempDir(), "s.sock"), "no-such-group-upkeep"); err == nil || !strings.Contains(err.Error(), "groupadd") {
		t.Errorf("unknown group: %v, want a message saying how to create it", err)
	}
}

func TestPeerCredentialsOfThisProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "upkeep.sock")
	l, err := ListenLocal(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	c, err := DialLocal(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := <-accepted
	defer s.Close()
	p, err := PeerCredentials(s)
	if err != nil {
		t.Fatal(err)
	}
	if p.UID != strconv.Itoa(os.Getuid()) || p.Root != (os.Getuid() == 0) || !p.InGroup(strconv.Itoa(os.Getgid())) {
		t.Errorf("peer = %+v, want uid %d, gid %d", p, os.Getuid(), os.Getgid())
	}
	if p.PID != 0 && p.PID != os.Getpid() {
		t.Errorf("peer pid %d, want %d", p.PID, os.Getpid())
	}
	groups, _ := os.Getgroups()
	for _, g := range groups {
		if !p.InGroup(strconv.Itoa(g)) {
			t.Errorf("peer groups %v lack supplementary group %d", p.Groups, g)
		}
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if _, err := PeerCredentials(a); err == nil {
		t.Error("an in-memory pipe has no peer credentials, yet no error")
	}
}
