package erptest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/platform"
)

// HealthDeadline bounds how long the suite waits for a started server to
// pass its health check.
const HealthDeadline = 90 * time.Second

// probeTable is the table the suite creates through ExecSQL to change the
// database; it must not exist in a fresh instance.
const probeTable = "upkeep_conformance_probe"

// WriterFixture is a write-side adapter under test on a real, freshly made
// ERP instance. The fixture stops the server in its own t.Cleanup.
type WriterFixture struct {
	Writer erp.Writer
	// Running says whether the ERP's server runs when setup returns.
	Running bool
	// Checksum returns a checksum of the whole ERP database content,
	// computed by the test without the adapter.
	Checksum func(t *testing.T) string
	// NewVersion returns an extracted folder of a newer version of an
	// installed module that adds a column, and the version Installed must
	// report once it is updated.
	NewVersion func(t *testing.T) (module, dir string, want catalog.Version)
	// NewColumn is a query that QueryValue answers only once NewVersion's
	// update has run (it reads the added column) and fails before.
	NewColumn string
	// BrokenVersion returns an extracted folder of a version of an
	// installed module whose update fails in the ERP.
	BrokenVersion func(t *testing.T) (module, dir string)
	// Disableable is an installed module the ERP can disable ("" when
	// CanDisable is false).
	Disableable string
	// Corrupt damages a backup whose content is not in files under
	// Backup.Path (a template database); nil flips bytes in those files.
	Corrupt func(t *testing.T, b erp.Backup)
}

// RunWriter checks an adapter against the contract of erp.Writer.
func RunWriter(t *testing.T, setup func(t *testing.T) WriterFixture) {
	t.Run("StopStartHealth", func(t *testing.T) { testStopStartHealth(t, setup(t)) })
	t.Run("BackupRestore", func(t *testing.T) { testBackupRestore(t, setup(t)) })
	t.Run("CorruptBackupIsRefused", func(t *testing.T) { testCorruptBackup(t, setup(t)) })
	t.Run("ExecSQLIsOneTransaction", func(t *testing.T) { testExecSQLAtomic(t, setup(t)) })
	t.Run("BackupSize", func(t *testing.T) {
		f := setup(t)
		n, err := f.Writer.BackupSize(ctxT(t))
		if err != nil || n <= 0 {
			t.Fatalf("BackupSize = %d, %v; want a positive estimate", n, err)
		}
	})
	t.Run("StagingDir", func(t *testing.T) { testStagingDir(t, setup(t)) })
	t.Run("UpdateUpdates", func(t *testing.T) { testUpdateNewVersion(t, setup(t)) })
	t.Run("UpdateBrokenVersionFails", func(t *testing.T) { testUpdateBroken(t, setup(t)) })
	t.Run("SettingsStable", func(t *testing.T) {
		f := setup(t)
		a, b := settings(t, f.Writer), settings(t, f.Writer)
		if len(a) == 0 {
			t.Fatal("Settings is empty: it must snapshot menus or configuration")
		}
		if !maps.Equal(a, b) {
			t.Errorf("two reads of Settings differ:\n%v\n%v", a, b)
		}
	})
	t.Run("QueryValue", func(t *testing.T) {
		f := setup(t)
		if v, err := f.Writer.QueryValue(ctxT(t), "SELECT 1"); err != nil || strings.TrimSpace(v) != "1" {
			t.Errorf(`QueryValue("SELECT 1") = %q, %v; want "1"`, v, err)
		}
		if _, err := f.Writer.QueryValue(ctxT(t), "SELECT * FROM upkeep_no_such_table"); err == nil {
			t.Error("QueryValue of a missing table succeeded")
		}
	})
	t.Run("DisableDisables", func(t *testing.T) { testDisable(t, setup(t)) })
}

func testStopStartHealth(t *testing.T, f WriterFixture) {
	w := f.Writer
	for i := range 2 {
		if err := w.Stop(ctxT(t)); err != nil {
			t.Fatalf("Stop #%d: %v", i+1, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := w.Health(ctx)
	if err == nil {
		t.Fatal("Health of a stopped server succeeded")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Health of a stopped server hung until the deadline: %v", err)
	}
	for i := range 2 {
		if err := w.Start(ctxT(t)); err != nil {
			t.Fatalf("Start #%d: %v", i+1, err)
		}
	}
	waitHealthy(t, w)
	if err := w.Stop(ctxT(t)); err != nil {
		t.Fatalf("Stop after Start: %v", err)
	}
	if err := w.Health(ctx); err == nil {
		t.Error("Health succeeded after the server was stopped again")
	}
}

func testBackupRestore(t *testing.T, f WriterFixture) {
	w := stopped(t, f)
	before := f.Checksum(t)
	b := backup(t, w)
	execProbe(t, w)
	if f.Checksum(t) == before {
		t.Fatal("the fixture's Checksum did not change after ExecSQL created a table: it does not cover the whole database")
	}
	for i := range 2 { // the second restore is what a crash during the first leads to
		if err := w.Restore(ctxT(t), b); err != nil {
			t.Fatalf("Restore #%d: %v", i+1, err)
		}
		if got := f.Checksum(t); got != before {
			t.Fatalf("after Restore #%d the checksum is %s, want %s as before the backup", i+1, got, before)
		}
	}
	if _, err := w.QueryValue(ctxT(t), "SELECT count(*) FROM "+probeTable); err == nil {
		t.Error("the table created after the backup still exists after Restore")
	}
}

func testCorruptBackup(t *testing.T, f WriterFixture) {
	w := stopped(t, f)
	b := backup(t, w)
	execProbe(t, w) // the live database now differs from the backup
	live := f.Checksum(t)
	corrupt(t, f, b)
	err := w.Restore(ctxT(t), b)
	if err == nil {
		t.Fatal("Restore of a corrupted backup succeeded")
	}
	t.Logf("Restore of a corrupted backup: %v", err)
	if got := f.Checksum(t); got != live {
		t.Errorf("a refused Restore changed the live database: checksum %s, was %s", got, live)
	}
}

func testExecSQLAtomic(t *testing.T, f WriterFixture) {
	w := stopped(t, f)
	before := f.Checksum(t)
	err := w.ExecSQL(ctxT(t), "CREATE TABLE "+probeTable+" (n INTEGER);\nINSERT INTO upkeep_no_such_table VALUES (1);")
	if err == nil {
		t.Fatal("ExecSQL of a script whose second statement fails succeeded")
	}
	if got := f.Checksum(t); got != before {
		t.Error("a failed ExecSQL left its first statement's change: a script must run in one transaction")
	}
}

func testStagingDir(t *testing.T, f WriterFixture) {
	w := f.Writer
	staging, err := w.StagingDir()
	if err != nil {
		t.Fatalf("StagingDir: %v", err)
	}
	if st, err := os.Stat(staging); err != nil || !st.IsDir() {
		t.Fatalf("StagingDir %s is not a folder: %v", staging, err)
	}
	for _, m := range installed(t, w) {
		dir, err := w.ModuleDir(m.Name)
		if err != nil {
			t.Fatalf("ModuleDir(%s): %v", m.Name, err)
		}
		same, err := platform.SameFilesystem(staging, dir)
		if err != nil || !same {
			t.Errorf("StagingDir %s and ModuleDir(%s) %s are not on one filesystem (%v): a swap between them is not atomic", staging, m.Name, dir, err)
		}
		if parent := filepath.Dir(dir); within(staging, parent) {
			t.Errorf("StagingDir %s is in %s, where the ERP loads module code from", staging, parent)
		}
	}
	module, dir, want := f.NewVersion(t)
	copyTree(t, dir, filepath.Join(staging, module))
	if got := version(t, w, module); got.Equal(want) {
		t.Errorf("with %s %s staged, Installed reports it: the ERP loads code from StagingDir", module, want)
	}
}

func testUpdateNewVersion(t *testing.T, f WriterFixture) {
	w := stopped(t, f)
	if _, err := w.QueryValue(ctxT(t), f.NewColumn); err == nil {
		t.Fatalf("NewColumn query %q answers before the update: the fixture's new version must add it", f.NewColumn)
	}
	module, dir, want := f.NewVersion(t)
	old := version(t, w, module)
	others := namesBut(installed(t, w), module)
	swapIn(t, w, module, dir)
	var log bytes.Buffer
	if err := w.Update(ctxT(t), erp.UpdateRequest{Modules: []string{module}}, &log); err != nil {
		t.Fatalf("Update %s: %v\noutput:\n%s", module, err, log.String())
	}
	if got := version(t, w, module); !got.Equal(want) {
		t.Errorf("after the update Installed reports %s %s, want %s", module, got, want)
	}
	check(t, w, erp.Expected{Versions: map[string]catalog.Version{module: want}, Kept: others})
	if _, err := erp.Check(ctxT(t), w, erp.Expected{Versions: map[string]catalog.Version{module: old}}); !errors.Is(err, erp.ErrNotVerified) {
		t.Errorf("the read-back expecting %s still at %s = %v, want ErrNotVerified", module, old, err)
	}
	if _, err := w.QueryValue(ctxT(t), f.NewColumn); err != nil {
		t.Errorf("the new version's column is missing after the update: %q: %v", f.NewColumn, err)
	}
	if err := w.Start(ctxT(t)); err != nil {
		t.Fatalf("Start after the update: %v", err)
	}
	waitHealthy(t, w)
	if err := w.Stop(ctxT(t)); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func testUpdateBroken(t *testing.T, f WriterFixture) {
	w := stopped(t, f)
	module, dir := f.BrokenVersion(t)
	swapIn(t, w, module, dir)
	var log bytes.Buffer
	err := w.Update(ctxT(t), erp.UpdateRequest{Modules: []string{module}}, &log)
	if err == nil {
		t.Fatalf("Update of the broken %s succeeded; output:\n%s", module, log.String())
	}
	last := lastLine(log.String())
	if last == "" {
		t.Fatalf("the failed update wrote no output to the log; error: %v", err)
	}
	if !strings.Contains(err.Error(), last) {
		t.Errorf("the error does not carry the ERP's last output line %q:\n%v", last, err)
	}
}

func testDisable(t *testing.T, f WriterFixture) {
	w := f.Writer
	can, why := w.CanDisable()
	if !can {
		if why == "" {
			t.Error("CanDisable is false without a reason")
		}
		if f.Disableable != "" {
			t.Errorf("CanDisable is false (%s) but the fixture names %s as disableable", why, f.Disableable)
		}
		t.Skipf("the ERP cannot disable modules: %s", why)
	}
	if f.Disableable == "" {
		t.Fatal("CanDisable is true but the fixture names no module to disable")
	}
	w = stopped(t, f)
	others := namesBut(installed(t, w), f.Disableable)
	if len(others) == len(installed(t, w)) {
		t.Fatalf("the fixture's disableable module %s is not installed", f.Disableable)
	}
	if got, err := w.Disabled(ctxT(t), []string{f.Disableable}); err != nil || len(got) > 0 {
		t.Fatalf("Disabled(%s) before the disable = %v, %v; want none", f.Disableable, got, err)
	}
	var log bytes.Buffer
	if err := w.Update(ctxT(t), erp.UpdateRequest{Disable: []string{f.Disableable}}, &log); err != nil {
		t.Fatalf("Update disabling %s: %v\noutput:\n%s", f.Disableable, err, log.String())
	}
	for _, m := range installed(t, w) {
		if m.Name == f.Disableable {
			t.Errorf("%s is still installed after it was disabled", m.Name)
		}
	}
	check(t, w, erp.Expected{Disabled: []string{f.Disableable}, Kept: others})
	if _, err := erp.Check(ctxT(t), w, erp.Expected{Kept: []string{f.Disableable}}); !errors.Is(err, erp.ErrNotVerified) {
		t.Errorf("the read-back expecting the disabled %s still installed = %v, want ErrNotVerified", f.Disableable, err)
	}
	if err := w.Start(ctxT(t)); err != nil {
		t.Fatalf("Start after the disable: %v", err)
	}
	waitHealthy(t, w)
	if err := w.Stop(ctxT(t)); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

// check reads the ERP's state back and fails the test on any difference.
func check(t *testing.T, w erp.Writer, want erp.Expected) {
	t.Helper()
	if _, err := erp.Check(ctxT(t), w, want); err != nil {
		t.Errorf("read-back: %v", err)
	}
}

// namesBut returns the names of mods other than name.
func namesBut(mods []erp.Module, name string) []string {
	var out []string
	for _, m := range mods {
		if m.Name != name {
			out = append(out, m.Name)
		}
	}
	return out
}

// stopped stops the fixture's server when it runs and returns its writer.
func stopped(t *testing.T, f WriterFixture) erp.Writer {
	t.Helper()
	if f.Running {
		if err := f.Writer.Stop(ctxT(t)); err != nil {
			t.Fatalf("Stop: %v", err)
		}
	}
	return f.Writer
}

// backup backs up into a fresh folder and drops the backup at the end.
func backup(t *testing.T, w erp.Writer) erp.Backup {
	t.Helper()
	b, err := w.Backup(ctxT(t), t.TempDir())
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	if b.Method == "" || b.Checksum == "" || b.Size <= 0 {
		t.Errorf("Backup = %+v: want a method, a checksum and a size", b)
	}
	t.Cleanup(func() {
		if err := w.DropBackup(context.Background(), b); err != nil {
			t.Errorf("DropBackup: %v", err)
		}
	})
	return b
}

// execProbe changes the database through ExecSQL.
func execProbe(t *testing.T, w erp.Writer) {
	t.Helper()
	if err := w.ExecSQL(ctxT(t), "CREATE TABLE "+probeTable+" (n INTEGER);\nINSERT INTO "+probeTable+" VALUES (42);"); err != nil {
		t.Fatalf("ExecSQL: %v", err)
	}
	if v, err := w.QueryValue(ctxT(t), "SELECT n FROM "+probeTable); err != nil || v != "42" {
		t.Fatalf("QueryValue after ExecSQL = %q, %v; want 42", v, err)
	}
}

// corrupt damages the backup b: the fixture's way, or by flipping bytes in
// the middle of every regular file under b.Path.
func corrupt(t *testing.T, f WriterFixture, b erp.Backup) {
	t.Helper()
	if f.Corrupt != nil {
		f.Corrupt(t, b)
		return
	}
	if b.Path == "" {
		t.Fatalf("backup %+v has no files to corrupt: give the fixture a Corrupt function", b)
	}
	n := 0
	err := filepath.WalkDir(b.Path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		n++
		return flipMiddle(p)
	})
	if err != nil || n == 0 {
		t.Fatalf("corrupt %s: %v (%d files)", b.Path, err, n)
	}
}

func flipMiddle(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return err
	}
	buf := make([]byte, 16)
	off := st.Size() / 2
	n, err := f.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	for i := range buf[:n] {
		buf[i] ^= 0xA5
	}
	_, err = f.WriteAt(buf[:n], off)
	return err
}

// swapIn stages dir in the writer's staging folder and swaps it with the
// module's live folder, as the apply runner does.
func swapIn(t *testing.T, w erp.Writer, module, dir string) {
	t.Helper()
	staging, err := w.StagingDir()
	if err != nil {
		t.Fatalf("StagingDir: %v", err)
	}
	live, err := w.ModuleDir(module)
	if err != nil {
		t.Fatalf("ModuleDir(%s): %v", module, err)
	}
	staged := filepath.Join(staging, module+".new")
	copyTree(t, dir, staged)
	if err := platform.Exchange(staged, live); err != nil {
		t.Fatalf("platform.Exchange: %v", err)
	}
}

// copyTree copies the regular files and folders under src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s to %s: %v", src, dst, err)
	}
}

// waitHealthy polls Health until it passes or HealthDeadline ends.
func waitHealthy(t *testing.T, w erp.Writer) {
	t.Helper()
	deadline := time.Now().Add(HealthDeadline)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := w.Health(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server is not healthy %s after Start: %v", HealthDeadline, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func version(t *testing.T, w erp.Writer, module string) catalog.Version {
	t.Helper()
	for _, m := range installed(t, w) {
		if m.Name == module {
			return m.Version
		}
	}
	t.Fatalf("%s is not installed", module)
	return catalog.Version{}
}

func settings(t *testing.T, w erp.Writer) map[string]string {
	t.Helper()
	s, err := w.Settings(ctxT(t))
	if err != nil {
		t.Fatalf("Settings: %v", err)
	}
	return s
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && (rel == "." || filepath.IsLocal(rel))
}

// lastLine returns the last non-blank line of s, trimmed.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
