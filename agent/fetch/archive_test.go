package fetch

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestArchiveRejectsWrongLengthOrHash(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	c := e.client("2.50", "")
	l, err := c.Listing(ctxT(t), "arp")
	if err != nil {
		t.Fatalf("Listing arp: %v", err)
	}
	ref := l.Latest().Archive
	real := e.get("/" + ref.Path)
	cases := map[string]struct {
		body   []byte
		reason string
	}{
		"shorter":        {real[:len(real)-1], "bytes long"},
		"longer":         {append(bytes.Clone(real), 0), "longer than"},
		"same length":    {append(bytes.Clone(real[:len(real)-1]), real[len(real)-1]^1), "sha256"},
		"another module": {e.get("/" + mustListing(t, c, "core").Latest().Archive.Path), ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path != "/"+ref.Path {
					return false
				}
				w.Write(tc.body)
				return true
			})
			dir := t.TempDir()
			dst := filepath.Join(dir, "arp.zip")
			err := c.Archive(ctxT(t), ref, dst)
			if !errors.Is(err, ErrArchiveRejected) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("Archive of a %s body = %v, want rejected (%s)", name, err, tc.reason)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Fatalf("Archive left %v behind", left)
			}
		})
	}
	e.setIntercept(nil)
	if err := c.Archive(ctxT(t), ref, filepath.Join(t.TempDir(), "arp.zip")); err != nil {
		t.Fatalf("Archive from the honest server: %v", err)
	}
}

func TestArchiveChecksRefFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	c := e.client("2.50", "")
	ref := mustListing(t, c, "arp").Latest().Archive
	for _, p := range []string{"../x.zip", "/etc/passwd", "archives/../../x", "archives//x.zip", `archives\x.zip`, "c:/x.zip"} {
		bad := ref
		bad.Path = p
		if err := c.Archive(ctxT(t), bad, filepath.Join(t.TempDir(), "x")); err == nil || errors.Is(err, ErrArchiveRejected) {
			t.Errorf("Archive path %q = %v, want a damaged-reference error", p, err)
		}
	}
	big := ref
	big.Length = DefaultLimits().Archive + 1
	if err := c.Archive(ctxT(t), big, filepath.Join(t.TempDir(), "x")); !errors.As(err, new(*TooLargeError)) {
		t.Errorf("Archive over the cap = %v, want TooLargeError", err)
	}
}
