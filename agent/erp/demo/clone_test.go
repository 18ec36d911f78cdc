package demo_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
	"github.com/upkeep-erp/upkeep/agent/erp/demo"
	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/internal/testwait"
	"github.com/upkeep-erp/upkeep/platform"
)

// TestCloneWhileServing copies a running instance: the copy holds the same
// data and modules, runs its own server on another port once neutralized,
// and cleanup stops it; the live database file never changes.
func TestCloneWhileServing(t *testing.T) {
	w, dir := started(t)
	liveSum, _, err := dbcopy.FileSHA256(demoerp.DBPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	copyDir := t.TempDir()
	c, cleanup, err := w.Clone(t.Context(), copyDir)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := dbcopy.SQLiteChecksum(t.Context(), demoerp.DBPath(dir))
	if got, err := dbcopy.SQLiteChecksum(t.Context(), demoerp.DBPath(copyDir)); err != nil || got != want {
		t.Errorf("the copy's content %s (%v), the live database's %s", got, err, want)
	}
	if mods, err := c.Installed(t.Context()); err != nil || len(mods) != 4 || mods[0].Dir != demoerp.ModuleDir(copyDir, mods[0].Name) {
		t.Errorf("the copy's modules: %+v, %v; want the story's four, read from the copy", mods, err)
	}
	if err := c.(*demo.Writer).Neutralize(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	pid := erptest.PIDIn(t, filepath.Join(copyDir, demo.ClonePIDFile))
	if err := waitHealth(t, c); err != nil {
		t.Fatalf("the copy's server: %v", err)
	}
	if v, _ := c.QueryValue(t.Context(), "SELECT count(*) FROM ir_cron WHERE active"); v != "0" {
		t.Errorf("active scheduled jobs on the copy: %s", v)
	}
	if err := cleanup(t.Context()); err != nil {
		t.Fatal(err)
	}
	if platform.ProcessAlive(pid) {
		t.Errorf("cleanup left the copy's server (pid %d) running", pid)
	}
	if sum, _, _ := dbcopy.FileSHA256(demoerp.DBPath(dir)); sum != liveSum {
		t.Error("the live database file changed")
	}
	if err := w.Health(t.Context()); err != nil {
		t.Errorf("the live server after the copy: %v", err)
	}
}

// TestDiscardStopsAnOrphanedCopy: Discard, from the folder alone, stops
// the server of a copy whose maker is gone; on a folder without a copy it
// is a no-op.
func TestDiscardStopsAnOrphanedCopy(t *testing.T) {
	w, _ := started(t)
	copyDir := t.TempDir()
	c, _, err := w.Clone(t.Context(), copyDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	pid := erptest.PIDIn(t, filepath.Join(copyDir, demo.ClonePIDFile))
	if err := w.Discard(t.Context(), copyDir); err != nil {
		t.Fatal(err)
	}
	if platform.ProcessAlive(pid) {
		t.Errorf("Discard left the copy's server (pid %d) running", pid)
	}
	if err := w.Discard(t.Context(), t.TempDir()); err != nil {
		t.Errorf("Discard of an empty folder: %v", err)
	}
	if _, _, err := w.Clone(t.Context(), copyDir); err == nil {
		t.Error("Clone into a folder that holds a copy succeeded")
	}
}

// waitHealth polls w's health check for up to 20 seconds.
func waitHealth(t *testing.T, w erp.Writer) error {
	t.Helper()
	var err error
	testwait.Until(20*time.Second, func() bool { err = w.Health(t.Context()); return err == nil })
	return err
}
