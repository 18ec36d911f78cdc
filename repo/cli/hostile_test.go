package cli_test

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostileInputIsRefusedBriefly: a 10,000-character version is not
// echoed whole, and archives with setuid or world-writable entries are
// refused (exit 1) naming the entry and its mode.
func TestHostileInputIsRefusedBriefly(t *testing.T) {
	t.Parallel()
	dir, _ := publishedRepo(t)
	long := strings.Repeat("1", 10000)
	for _, args := range [][]string{
		{"maturity", "--dir", dir, "arp", long, "beta"},
		{"extend", "--dir", dir, "arp", long, "--depends", "core>=2.50.0"},
		{"extend", "--dir", dir, "arp", "1.4.0", "--depends", "core>=" + long},
	} {
		code, _, errOut := run(t, args...)
		if code == 0 || len(errOut) > 600 || !strings.Contains(errOut, "(10000 bytes)") {
			t.Errorf("upkeep-repo %s …: exit %d, %d bytes of error: %.300s", args[0], code, len(errOut), errOut)
		}
	}
	for name, mode := range map[string]fs.FileMode{"setuid": fs.ModeSetuid | 0o755, "0777": 0o777} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("upkeep.toml")
		w.Write([]byte("name = \"zeta\"\nversion = \"1.0.0\"\nsummary = \"z\"\ndepends = [\"core>=2.50.0\"]\n"))
		fh := &zip.FileHeader{Name: "bin/run", Method: zip.Deflate}
		fh.SetMode(mode)
		w, _ = zw.CreateHeader(fh)
		w.Write([]byte("#!/bin/sh\n"))
		zw.Close()
		path := filepath.Join(t.TempDir(), "zeta-1.0.0.zip")
		os.WriteFile(path, buf.Bytes(), 0o644)
		code, _, errOut := run(t, "publish", "--dir", dir, path)
		if code != 1 || !strings.Contains(errOut, `"bin/run": has mode`) {
			t.Errorf("publish of an archive with a %s entry: exit %d, %s; want 1 naming the entry's mode", name, code, errOut)
		}
	}
}
