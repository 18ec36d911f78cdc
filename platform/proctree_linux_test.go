//go:build linux

package platform

import (
	"bufio"
	"maps"
	"os/exec"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
	"testing"
)

const tcpTable = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F91 0100007F:A0B1 01 00000000:00000000 00:00000000 00000000     0        0 4243 1 0000000000000000 20 4 30 10 -1
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 0 1
   3: garbage
`

func TestParseTCPTableKeepsListeners(t *testing.T) {
	got := map[uint64]int{}
	parseTCPTable(bufio.NewScanner(strings.NewReader(tcpTable)), got)
	if want := map[uint64]int{4242: 8080}; !maps.Equal(got, want) {
		t.Errorf("listeners = %v, want %v (established and inode-0 rows left out)", got, want)
	}
}

func FuzzParseTCPTable(f *testing.F) {
	f.Add(tcpTable)
	f.Add("0: 0100007F:FFFFF 0 0A a b c d e 99999999999999999999999")
	f.Fuzz(func(t *testing.T, s string) {
		got := map[uint64]int{}
		parseTCPTable(bufio.NewScanner(strings.NewReader(s)), got)
		for _, port := range got {
			if port < 0 || port > 65535 {
				t.Fatalf("port %d out of range", port)
			}
		}
	})
}

func TestParseStat(t *testing.T) {
	p, err := parseStat(42, []byte("42 (a (b) c) S 1 40 41 34816 40 4194560 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (ProcInfo{PID: 42, PPID: 1, PGID: 40, SID: 41, HasTTY: true, Token: "777"}); p != want {
		t.Errorf("parseStat = %+v, want %+v", p, want)
	}
	if _, err := parseStat(1, []byte("1 (x) S 1 2")); err == nil {
		t.Error("a short stat parsed")
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("42 (a (b) c) Z 1 40 41 0 40 4194560 0 0 0 0 0 0 0 0 20 0 1 0 777 0 0"))
	f.Add([]byte("1 (x"))
	f.Fuzz(func(t *testing.T, b []byte) { parseStat(1, b) })
}

func TestProcessesFindsAScriptsBackgroundChild(t *testing.T) {
	cmd := exec.Command("sh", "-c", "sleep 60 & echo $!; wait")
	OwnProcessGroup(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { KillGroup(cmd.Process.Pid); cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	all, err := Processes()
	if err != nil {
		t.Fatal(err)
	}
	var child *ProcInfo
	for i := range all {
		if strings.TrimSpace(line) == strconv.Itoa(all[i].PID) {
			child = &all[i]
		}
	}
	sid, _ := unix.Getsid(0)
	if child == nil || child.PPID != cmd.Process.Pid || child.PGID != cmd.Process.Pid || child.SID != sid {
		t.Fatalf("the background child %q: %+v, want parent and group %d", line, child, cmd.Process.Pid)
	}
	if tok, _ := ProcessToken(child.PID); tok != child.Token {
		t.Errorf("token %q, ProcessToken says %q", child.Token, tok)
	}
}
