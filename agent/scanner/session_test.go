package scanner_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp/demo"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/scanner"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// served is a central repository holding the sample catalog, served on
// loopback through a handler that logs the requested paths.
type served struct {
	store *repo.Store
	url   string
	mu    sync.Mutex
	log   []string
	// intercept, when set, answers the requests it returns true for.
	intercept func(w http.ResponseWriter, r *http.Request) bool
}

func serve(t *testing.T) (*served, []byte) {
	t.Helper()
	dir := t.TempDir()
	res, err := repo.Init(dir, repo.InitOptions{BinBits: 4})
	if err != nil {
		t.Fatalf("repo.Init: %v", err)
	}
	s, err := repo.Open(dir, repo.Options{})
	if err != nil {
		t.Fatalf("repo.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	r := &served{store: s}
	for _, m := range sample.Catalog() {
		r.publish(t, m)
	}
	h, err := repo.NewServer(s, nil)
	if err != nil {
		t.Fatalf("repo.NewServer: %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.log = append(r.log, req.URL.Path)
		icpt := r.intercept
		r.mu.Unlock()
		if icpt != nil && icpt(w, req) {
			return
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL
	root, err := os.ReadFile(res.RootPath)
	if err != nil {
		t.Fatal(err)
	}
	return r, root
}

func (r *served) publish(t *testing.T, m sample.Module) {
	ctx := t.Context()
	t.Helper()
	data, err := m.Archive()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.store.Publish(ctx, data, repo.LocalActor("test")); err != nil {
		t.Fatalf("publish %s %s: %v", m.Name, m.Version, err)
	}
}

// requests returns the paths requested since the last call.
func (r *served) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.log
	r.log = nil
	return out
}

// scanning is an instance subscribed to a served repository.
func scanning(t *testing.T) (*served, *config.Config, *store.Store, func() *scan.Report) {
	ctx := t.Context()
	t.Helper()
	r, root := serve(t)
	c, st, dir := setup(t, r.url)
	if err := os.WriteFile(filepath.Join(dir, "root.json"), root, 0o600); err != nil {
		t.Fatal(err)
	}
	erp, err := demo.New(demo.Config{Dir: c.ERP.Demo.Dir})
	if err != nil {
		t.Fatal(err)
	}
	return r, c, st, func() *scan.Report {
		t.Helper()
		rep, err := scanner.Scan(ctx, c, st, erp, scanner.Request{})
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		return rep
	}
}

// TestRepeatedScansKeepVerifiedMetadata: a scan of unchanged repositories
// asks each for its timestamp once and reads and verifies no metadata
// again (the clients outlive the scan). Garbage written over the cached
// snapshots and targets shows it: verifying them again would fail and
// download them again.
func TestRepeatedScansKeepVerifiedMetadata(t *testing.T) {
	t.Parallel()
	r, c, _, scanNow := scanning(t)
	first := scanNow()
	if !slices.Equal(first.Repositories, []string{"2.50", "3.0"}) {
		t.Fatalf("first scan's repositories %v, want 2.50 and 3.0", first.Repositories)
	}
	for _, repository := range first.Repositories {
		for _, f := range []string{"snapshot.json", "targets.json"} {
			if err := os.WriteFile(filepath.Join(c.State.Dir, "cache", repository, "metadata", f), []byte("garbage"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	r.requests()
	again := scanNow()
	if got := r.requests(); !slices.Equal(got, []string{"/2.50/metadata/timestamp.json", "/3.0/metadata/timestamp.json"}) {
		t.Fatalf("the second scan requested %v, want each repository's timestamp once", got)
	}
	a, _ := json.Marshal(first)
	b, _ := json.Marshal(again)
	if string(a) != string(b) {
		t.Fatalf("the second scan's report differs:\n%s\n%s", a, b)
	}
}

// TestRepeatedScansSeeChanges: a new version in the repository, or a new
// decision of the admin, shows in the next scan; an unchanged report adds
// no row to the scan history.
func TestRepeatedScansSeeChanges(t *testing.T) {
	ctx := t.Context()
	t.Parallel()
	r, _, st, scanNow := scanning(t)
	scanNow()
	scanNow()
	if saved, err := st.Scans(ctx, 5); err != nil || len(saved) != 1 {
		t.Fatalf("two identical scans saved %d scans (%v), want 1", len(saved), err)
	}
	r.publish(t, sample.Module{Name: "core", Version: "2.50.23", Summary: "ERP core: one more update", Core: true,
		DefaultUpgrade: true, Maturity: "confirmed-stable"})
	rep := scanNow()
	if !slices.ContainsFunc(rep.Updates, func(c scan.Candidate) bool { return c.Module == "core" && c.To.String() == "2.50.23" }) {
		t.Fatalf("the scan after publishing core 2.50.23 proposes %+v, want core 2.50.23 among the updates", rep.Updates)
	}
	if err := st.Hold(ctx, "core", "audit", "test"); err != nil {
		t.Fatal(err)
	}
	rep = scanNow()
	if len(rep.Held) != 1 || rep.Held[0].Module != "core" {
		t.Fatalf("the scan after holding core holds %+v, want core", rep.Held)
	}
	if saved, err := st.Scans(ctx, 5); err != nil || len(saved) != 3 {
		t.Fatalf("scans saved: %d (%v), want 3", len(saved), err)
	}
}
