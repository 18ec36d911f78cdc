// Package cowfs gives tests a copy-on-write filesystem: a loop-mounted btrfs made for the test and unmounted after it.
package cowfs

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// prefix names the mount points and images, with the test process's id, so
// that a later test binary removes what a killed one left.
const prefix = "upkeep-cowfs-"

// Dir returns an empty folder on a btrfs filesystem of size bytes (sparse:
// only what is written takes room) mounted for t, unmounted and removed at
// its end. It skips t when the host cannot: not root, no mkfs.btrfs
// (btrfs-progs), or no loop device.
func Dir(t testing.TB, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a loop-mounted btrfs needs root")
	}
	mkfs, err := exec.LookPath("mkfs.btrfs")
	if err != nil {
		t.Skip("mkfs.btrfs is not installed (apt-get install btrfs-progs)")
	}
	sweep()
	base, err := os.MkdirTemp("", prefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		t.Fatal(err)
	}
	img, mnt := filepath.Join(base, "fs.img"), filepath.Join(base, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(img, nil, 0o600); err != nil || os.Truncate(img, size) != nil {
		t.Fatalf("create the filesystem image %s: %v", img, err)
	}
	if out, err := exec.Command(mkfs, "-q", img).CombinedOutput(); err != nil {
		os.RemoveAll(base)
		t.Fatalf("mkfs.btrfs: %v: %s", err, out)
	}
	if out, err := exec.Command("mount", "-o", "loop", img, mnt).CombinedOutput(); err != nil {
		os.RemoveAll(base)
		t.Skipf("this host cannot loop-mount a filesystem image: %v: %s", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", mnt, err, out)
			return
		}
		os.RemoveAll(base)
	})
	return mnt
}

// sweep unmounts and removes what test processes that no longer run left.
func sweep() {
	f, err := os.Open("/proc/mounts")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || !strings.Contains(fields[1], "/"+prefix) {
			continue
		}
		base := filepath.Dir(fields[1])
		pid, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(base), prefix), "-")
		if n, err := strconv.Atoi(pid); err != nil || processRuns(n) {
			continue
		}
		if exec.Command("umount", fields[1]).Run() == nil {
			os.RemoveAll(base)
		}
	}
}

func processRuns(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}
