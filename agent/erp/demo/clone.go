package demo

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/agent/rehearse"
	"github.com/upkeep-erp/upkeep/demoerp"
)

// ClonePIDFile is the pidfile of a rehearsal copy's server, in the copy's folder.
const ClonePIDFile = "server.pid"

// cloneStopTimeout is how long a copy's server has to stop after SIGTERM.
const cloneStopTimeout = 10 * time.Second

// Clone makes a rehearsal copy of the instance in dir (empty): a snapshot
// of the database taken through a read-only connection (the server keeps
// running) and a copy of addons/, with a server on a free loopback port
// under pidfile control, not started. The copy's Writer neutralizes it
// (Neutralize) before the rehearsal starts it. cleanup stops the copy's
// server; the caller removes dir.
func (w *Writer) Clone(ctx context.Context, dir string) (erp.Writer, func(context.Context) error, error) {
	if err := rehearse.SnapshotSQLite(ctx, w.dbPath(), demoerp.DBPath(dir)); err != nil {
		return nil, nil, fmt.Errorf("demo ERP copy: %w", err)
	}
	if err := rehearse.CopyTree(filepath.Join(w.dir, demoerp.AddonsDir), filepath.Join(dir, demoerp.AddonsDir)); err != nil {
		return nil, nil, fmt.Errorf("demo ERP copy: %w", err)
	}
	addr, err := rehearse.FreeLoopbackAddr()
	if err != nil {
		return nil, nil, err
	}
	srv, err := w.cloneServer(dir, addr)
	if err != nil {
		return nil, nil, err
	}
	c, err := NewWriter(Config{Dir: dir, URL: "http://" + addr, Command: w.command, Server: srv})
	if err != nil {
		return nil, nil, err
	}
	return c, srv.Stop, nil
}

// Discard stops the server of a copy made in dir, from its pidfile (after
// a crash of the agent that made it); a copy whose server is not running
// is success.
func (w *Writer) Discard(ctx context.Context, dir string) error {
	srv, err := w.cloneServer(dir, "127.0.0.1:0")
	if err != nil {
		return err
	}
	if err := srv.Stop(ctx); err != nil {
		return fmt.Errorf("stop the rehearsal copy's server: %w", err)
	}
	return nil
}

// cloneServer controls the copy's demo-erp serve through its pidfile.
func (w *Writer) cloneServer(dir, addr string) (erp.Server, error) {
	prog, err := w.program()
	if err != nil {
		return nil, err
	}
	pidfile := filepath.Join(dir, ClonePIDFile)
	start := append(append([]string{}, prog...), "--dir", dir, "serve", "--addr", addr, "--pidfile", pidfile)
	return proc.New(proc.Config{PIDFile: pidfile, Start: start, StopTimeout: cloneStopTimeout})
}
