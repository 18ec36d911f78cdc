//go:build linux

package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/api"
)

func TestSocketIsGroupOwnedAndMode0660(t *testing.T) {
	dir := t.TempDir()
	g, err := user.LookupGroup("nogroup")
	if err != nil {
		t.Skip("no group nogroup on this machine")
	}
	sock, _ := serve(t, dir, newBackend(t, dir), api.Options{}, "nogroup")
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	gid := fi.Sys().(*syscall.Stat_t).Gid
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o660 || strconv.Itoa(int(gid)) != g.Gid {
		t.Errorf("socket %v gid %d, want a socket with mode 0660 and gid %s", fi.Mode(), gid, g.Gid)
	}
}

// childReport is what the child process, running as nobody, saw.
type childReport struct {
	UID    string `json:"uid"`
	CanAct bool   `json:"can_act"`
	Read   string `json:"read"`
	Act    string `json:"act"`
	Error  string `json:"error"`
}

const childEnv = "UPKEEP_API_CHILD_SOCKET"

// TestChildClient is the child's side: it runs only when the parent test
// starts this binary as nobody.
func TestChildClient(t *testing.T) {
	ctx := t.Context()
	sock := os.Getenv(childEnv)
	if sock == "" {
		t.Skip("run by TestReadOnlyCallersAreRealProcessesAsNobody")
	}
	c := &api.Client{Path: sock}
	var r childReport
	st, err := c.Status(ctx)
	if err != nil {
		r.Read, r.Error = kind(err), err.Error()
	} else {
		r.UID, r.CanAct = st.Caller.UID, st.Caller.CanAct
		_, err = c.Holds(ctx)
		r.Read = kind(err)
		_, err = c.SetHolds(ctx, api.HoldsChange{Hold: []api.Hold{{Module: "arp"}}})
		r.Act = kind(err)
		if err != nil {
			r.Error = err.Error()
		}
	}
	b, _ := json.Marshal(r)
	fmt.Printf("CHILD %s\n", b)
}

// asNobody runs the test binary's TestChildClient as nobody:nogroup, with
// the supplementary groups given, against sock.
func asNobody(t *testing.T, bin, sock string, groups ...uint32) childReport {
	t.Helper()
	cmd := exec.Command(bin, "-test.run=^TestChildClient$", "-test.count=1")
	cmd.Env = []string{childEnv + "=" + sock, "HOME=/", "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: append([]uint32{}, groups...)}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "CHILD "); ok {
			var r childReport
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				t.Fatal(err)
			}
			return r
		}
	}
	t.Fatalf("the child reported nothing:\n%s", out)
	return childReport{}
}

// copyTestBinary puts this test binary where nobody can run it.
func copyTestBinary(t *testing.T, dir string) string {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	bin := filepath.Join(dir, "api.test")
	out, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestReadOnlyCallersAreRealProcessesAsNobody(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("starting a child as nobody needs root")
	}
	if _, err := user.LookupGroup("nogroup"); err != nil {
		t.Skip("no group nogroup on this machine")
	}
	bin := copyTestBinary(t, publicTempDir(t))

	readOnly := publicTempDir(t)
	sock, _ := serve(t, readOnly, newBackend(t, readOnly), api.Options{}, "nogroup")
	r := asNobody(t, bin, sock)
	if r.UID != "65534" || r.CanAct || r.Read != "ok" || r.Act != "access_denied" || !strings.Contains(r.Error, "may only read") {
		t.Errorf("nobody in the socket's group: %+v; want uid 65534 reading, refused to act", r)
	}

	admin := publicTempDir(t)
	sock, _ = serve(t, admin, newBackend(t, admin), api.Options{AdminGroup: "nogroup"}, "nogroup")
	if r := asNobody(t, bin, sock); !r.CanAct || r.Act != "ok" {
		t.Errorf("nobody in the admin group: %+v; want it to act", r)
	}

	if users, err := user.LookupGroup("users"); err == nil {
		gid, _ := strconv.Atoi(users.Gid)
		supp := publicTempDir(t)
		sock, _ = serve(t, supp, newBackend(t, supp), api.Options{AdminGroup: "users"}, "nogroup")
		if r := asNobody(t, bin, sock, uint32(gid)); !r.CanAct || r.Act != "ok" {
			t.Errorf("nobody with the admin group as a supplementary group: %+v; want it to act (SO_PEERGROUPS)", r)
		}
		if r := asNobody(t, bin, sock); r.CanAct {
			t.Errorf("nobody without the supplementary group: %+v; want read-only", r)
		}
	}

	closed := publicTempDir(t)
	sock, _ = serve(t, closed, newBackend(t, closed), api.Options{}, "")
	if r := asNobody(t, bin, sock); r.Read != "access_denied" || !strings.Contains(r.Error, "api.group") {
		t.Errorf("nobody outside the socket's group: %+v; want access denied naming api.group", r)
	}
}
