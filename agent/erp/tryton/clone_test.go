package tryton

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/erp"
)

var _ apply.Cloner = (*Writer)(nil)

// TestCloneIsARehearsalCopy copies a running instance on SQLite and on
// PostgreSQL: production's database and overlay are untouched by the copy
// and by an update of the copy; the copy is neutralized, runs on its own
// port with its own database and overlay, and updates there; cleanup
// stops its server and drops its database, and Discard does the same
// from the folder alone after a "crash".
func TestCloneIsARehearsalCopy(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{backendSQLite, backendPostgres} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			wi := newWriterInstance(t, backend)
			ctx := ctxT(t)
			if err := wi.w.Start(ctx); err != nil {
				t.Fatal(err)
			}
			waitHealthy(t, wi.w)
			before, entry := wi.checksum(t), entryHash(t, moduleEntry(wi.overlay, probeModule))
			dir := t.TempDir()
			c, cleanup, err := wi.w.Clone(ctx, dir)
			if err != nil {
				t.Fatalf("Clone: %v", err)
			}
			clone := c.(*Writer)
			if clone.url == wi.w.url || clone.db.String() == wi.w.db.String() || !within(clone.cfg.Overlay, dir) || !within(clone.cfg.TrytondConf, dir) {
				t.Fatalf("the copy shares production's server, database, overlay or configuration: %s %s %s %s", clone.url, clone.db, clone.cfg.Overlay, clone.cfg.TrytondConf)
			}
			if conf, _ := os.ReadFile(clone.cfg.TrytondConf); !strings.Contains(string(conf), NeutralEmailURI) {
				t.Errorf("the copy's trytond.conf sends mail:\n%s", conf)
			}
			if err := clone.Neutralize(ctx); err != nil {
				t.Fatal(err)
			}
			updateClone(t, clone)
			if got := queryValue(t, clone, "SELECT count(*) FROM ir_cron WHERE active"); got != "0" {
				t.Errorf("%s scheduled jobs of the copy are active", got)
			}
			if got := queryValue(t, wi.w, "SELECT count(*) FROM ir_cron WHERE active"); got == "0" {
				t.Errorf("production's scheduled jobs were deactivated")
			}
			if err := cleanup(ctx); err != nil {
				t.Fatalf("cleanup: %v", err)
			}
			checkGone(t, clone)
			if after := wi.checksum(t); after != before {
				t.Errorf("production's database changed while its copy was made and updated")
			}
			if got := entryHash(t, moduleEntry(wi.overlay, probeModule)); got != entry {
				t.Errorf("production's overlay entry of %s changed", probeModule)
			}
			waitHealthy(t, wi.w)
			discardAfterCrash(t, wi)
		})
	}
}

// updateClone delivers upkeep_probe 6.0.1 on the copy and runs its update
// with the copy's server stopped, then starts it: the copy has the column.
func updateClone(t *testing.T, clone *Writer) {
	t.Helper()
	ctx := ctxT(t)
	_, dir, _ := probeVersion(t, probeV2, probeNoteField)
	if _, err := LinkModule(clone.cfg.Overlay, probeModule, dir); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	if err := clone.Update(ctx, erp.UpdateRequest{Modules: []string{probeModule}}, &log); err != nil {
		t.Fatalf("update the copy: %v\n%s", err, log.String())
	}
	if err := clone.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, clone)
	if _, err := clone.QueryValue(ctx, probeNewCol); err != nil {
		t.Errorf("the copy lacks the new column after its update: %v", err)
	}
}

// checkGone checks that a copy's server no longer answers and that its
// PostgreSQL database is dropped.
func checkGone(t *testing.T, clone *Writer) {
	t.Helper()
	if resp, err := http.Post(clone.url, "application/json", strings.NewReader(`{"id":1,"method":"common.server.version","params":[]}`)); err == nil {
		resp.Body.Close()
		t.Errorf("the copy's server still answers at %s", clone.url)
	}
	if clone.db.backend == backendPostgres {
		if dbs, err := pgDatabases(context.Background(), clone.cfg.Database); err != nil || len(dbs) != 0 {
			t.Errorf("the copy's database is still there: %v %v", dbs, err)
		}
	}
}

// discardAfterCrash makes a copy, starts its server and forgets the copy
// (its maker "crashed"); Discard from the folder alone must remove it.
func discardAfterCrash(t *testing.T, wi *writerInstance) {
	t.Helper()
	ctx := ctxT(t)
	dir := filepath.Join(t.TempDir(), "copy")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	c, _, err := wi.w.Clone(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitHealthy(t, c.(*Writer))
	if err := wi.w.Discard(ctx, dir); err != nil {
		t.Fatalf("Discard: %v", err)
	}
	checkGone(t, c.(*Writer))
	if err := wi.w.Discard(ctx, dir); err != nil {
		t.Errorf("Discard of a copy already discarded: %v", err)
	}
}

// TestCloneRefusesDatabaseFromEnvironment: with trytond's database chosen
// by the environment, a copy's configuration could not aim it at the copy.
func TestCloneRefusesDatabaseFromEnvironment(t *testing.T) {
	wi := newWriterInstance(t, backendSQLite)
	t.Setenv("TRYTOND_DATABASE__PATH", filepath.Dir(wi.file))
	if _, _, err := wi.w.Clone(ctxT(t), t.TempDir()); err == nil || !strings.Contains(err.Error(), "TRYTOND_DATABASE__PATH") {
		t.Errorf("Clone with TRYTOND_DATABASE__PATH set: %v; want it refused, naming the variable", err)
	}
}
