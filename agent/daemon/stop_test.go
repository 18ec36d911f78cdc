//go:build unix

package daemon

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/internal/testwait"
)

// TestStopWaitsForAReloadBeforeClosingTheState: a SIGHUP's reload still
// reading the configuration when the agent stops (the file is a FIFO that
// nobody has written yet) finishes, and records its "config-rejected"
// event, before Stop closes the state database.
func TestStopWaitsForAReloadBeforeClosingTheState(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "upkeep.toml")
	conf := "[erp]\nkind = \"demo\"\ndemo.dir = \"erp\"\n[repository]\nurl = \"http://127.0.0.1:1\"\n" +
		"trusted_root = \"root.json\"\n[state]\ndir = \"state\"\n[api]\nsocket = \"" + filepath.Join(dir, "api.sock") + "\"\n"
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	d := New(Options{Config: cfg})
	if err := d.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The configuration becomes a FIFO: the reload blocks reading it.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	var w *os.File
	testwait.WaitFor(t, time.Minute, func() bool { // opens once the reload has the FIFO open
		w, err = os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		return err == nil
	})
	stopped := make(chan error, 1)
	go func() { stopped <- d.Stop(context.Background()) }()
	select { // an upper bound, not a synchronisation: Stop must not return before the reload
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a reload was still reading the configuration", err)
	case <-time.After(2 * time.Second):
	}
	if _, err := w.WriteString("[erp]\nkind = \"no such erp\"\n"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := <-stopped; err != nil {
		t.Fatalf("Stop: %v", err)
	}
	st, err := store.Open(cfg.State.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := store.NewEvents(st).Since(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Kind == "config-rejected" {
			return
		}
	}
	t.Errorf("events after Stop: %+v; want the reload's config-rejected, recorded before the state closed", evs)
}
