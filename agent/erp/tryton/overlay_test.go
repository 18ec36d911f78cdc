package tryton

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCloneOverlay: the clone has the same entries — a delivered folder as
// a copy, a link to a release as the same link — and changing it leaves
// the original alone.
func TestCloneOverlay(t *testing.T) {
	t.Parallel()
	needTryton(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "live")
	if _, err := EnsureOverlay(src, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := writeProbe(overlayModules(src), probeV1, ""); err != nil {
		t.Fatal(err)
	}
	release := filepath.Join(dir, "releases", "party")
	if err := os.MkdirAll(release, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := LinkModule(src, "party", release); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "rehearsal")
	if err := CloneOverlay(src, dst, ""); err != nil {
		t.Fatal(err)
	}
	if got, want := entries(t, dst), entries(t, src); len(got) != len(want) {
		t.Errorf("the clone has %d entries, the original %d", len(got), len(want))
	}
	if target, _ := os.Readlink(filepath.Join(overlayModules(dst), "party")); target != release {
		t.Errorf("the clone's party points at %q, want %s", target, release)
	}
	cloned := filepath.Join(overlayModules(dst), probeModule, "tryton.cfg")
	if err := os.WriteFile(cloned, []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(overlayModules(src), probeModule, "tryton.cfg")); string(b) == "changed" {
		t.Error("writing into the clone changed the original: the delivered folder was linked, not copied")
	}
	if err := CloneOverlay(src, dst, ""); err == nil {
		t.Error("cloning onto an existing folder succeeded")
	}
}

// TestLinkModuleNewAndBack: a module without an entry gets one; swapping
// back with the returned path restores the previous entry.
func TestLinkModuleNewAndBack(t *testing.T) {
	t.Parallel()
	needTryton(t)
	root := filepath.Join(t.TempDir(), "overlay")
	if _, err := EnsureOverlay(root, ""); err != nil {
		t.Fatal(err)
	}
	rel := t.TempDir()
	prev, err := LinkModule(root, "upkeep_new", rel)
	if err != nil || prev != "" {
		t.Fatalf("LinkModule of a new module = %q, %v; want no previous entry", prev, err)
	}
	prev, err = LinkModule(root, "party", rel)
	if err != nil {
		t.Fatal(err)
	}
	if target, _ := os.Readlink(prev); target != filepath.Join(sysTrytond, "modules", "party") {
		t.Errorf("the previous entry kept in staging points at %q", target)
	}
	if _, err := LinkModule(root, "ir", rel); err != nil {
		t.Fatal(err)
	}
	if target, _ := os.Readlink(filepath.Join(root, "trytond", "ir")); target != rel {
		t.Errorf("ir's entry is trytond/ir and should point at %s, not %q", rel, target)
	}
	if _, err := LinkModule(root, "party", "relative/path"); err == nil {
		t.Error("a relative release folder was accepted")
	}
}
