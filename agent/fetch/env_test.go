package fetch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/meta"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// env is a real central repository holding the sample catalog, served over
// loopback HTTP through a handler that logs requests and can tamper.
type env struct {
	t     testing.TB
	store *repo.Store
	root  []byte
	inner http.Handler
	srv   *httptest.Server

	mu        sync.Mutex
	log       []string // request paths, in order
	intercept func(w http.ResponseWriter, r *http.Request) bool
}

func newEnv(t testing.TB, bits int) *env {
	t.Helper()
	tpl, root := template(t, bits)
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(tpl)); err != nil {
		t.Fatalf("copy the template repository: %v", err)
	}
	s, err := repo.Open(dir, repo.Options{})
	if err != nil {
		t.Fatalf("repo.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	inner, err := repo.NewServer(s, nil)
	if err != nil {
		t.Fatalf("repo.NewServer: %v", err)
	}
	e := &env{t: t, store: s, root: root, inner: inner}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.srv.Close)
	return e
}

// templates holds, per bin bits, a closed repository with the sample
// catalog published, built once and copied by every test: publishing is
// slow (every write is fsynced), copying is not.
var templates = struct {
	sync.Mutex
	dir  string
	repo map[int]string
	root map[int][]byte
}{repo: map[int]string{}, root: map[int][]byte{}}

func TestMain(m *testing.M) {
	code := m.Run()
	if templates.dir != "" {
		os.RemoveAll(templates.dir)
	}
	os.Exit(code)
}

func template(t testing.TB, bits int) (string, []byte) {
	templates.Lock()
	defer templates.Unlock()
	if dir, ok := templates.repo[bits]; ok {
		return dir, templates.root[bits]
	}
	if templates.dir == "" {
		d, err := os.MkdirTemp("", "fetch-test-")
		if err != nil {
			t.Fatalf("MkdirTemp: %v", err)
		}
		templates.dir = d
	}
	dir := filepath.Join(templates.dir, strconv.Itoa(bits))
	root := buildRepository(t, dir, bits)
	templates.repo[bits], templates.root[bits] = dir, root
	return dir, root
}

// buildRepository creates a repository in dir holding the sample catalog
// and returns its trusted root.
func buildRepository(t testing.TB, dir string, bits int) []byte {
	res, err := repo.Init(dir, repo.InitOptions{BinBits: bits})
	if err != nil {
		t.Fatalf("repo.Init: %v", err)
	}
	s, err := repo.Open(dir, repo.Options{})
	if err != nil {
		t.Fatalf("repo.Open: %v", err)
	}
	defer s.Close()
	for _, m := range sample.Catalog() {
		publish(t, s, m)
	}
	root, err := os.ReadFile(res.RootPath)
	if err != nil {
		t.Fatalf("read root: %v", err)
	}
	return root
}

func publish(t testing.TB, s *repo.Store, m sample.Module) {
	t.Helper()
	data, err := m.Archive()
	if err != nil {
		t.Fatalf("archive %s %s: %v", m.Name, m.Version, err)
	}
	if _, err := s.Publish(context.Background(), data, repo.LocalActor("test")); err != nil {
		t.Fatalf("publish %s %s: %v", m.Name, m.Version, err)
	}
}

// warehouse101 is one more version of one module, placed in 2.50 only.
var warehouse101 = sample.Module{Name: "warehouse", Version: "1.0.1", Summary: "Warehouse management: faster picking",
	DefaultUpgrade: true, Maturity: "confirmed-stable", Depends: []string{"core>=2.50.20"}}

// sampleArp141 is a patch of arp, for tests that change the arp bin.
var sampleArp141 = sample.Module{Name: "arp", Version: "1.4.1", Summary: "Advanced Receivables and Payables: dunning fix",
	Maturity: "confirmed-stable", Patch: true, Depends: []string{"core>=2.50.20"}}

func (e *env) serve(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.log = append(e.log, r.URL.Path)
	icpt := e.intercept
	e.mu.Unlock()
	if icpt != nil && icpt(w, r) {
		return
	}
	e.inner.ServeHTTP(w, r)
}

// setIntercept installs fn in front of the real server (nil removes it).
func (e *env) setIntercept(fn func(w http.ResponseWriter, r *http.Request) bool) {
	e.mu.Lock()
	e.intercept = fn
	e.mu.Unlock()
}

// rewrite serves the real body of every path matching re, changed by mod.
func (e *env) rewrite(re string, mod func([]byte) []byte) {
	rx := regexp.MustCompile(re)
	e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if !rx.MatchString(r.URL.Path) {
			return false
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(mod(e.get(r.URL.Path)))
		return true
	})
}

// get returns the real, uncompressed body at p.
func (e *env) get(p string) []byte {
	rec := httptest.NewRecorder()
	e.inner.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
	if rec.Code != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", p, rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// requests returns and clears the request log.
func (e *env) requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.log
	e.log = nil
	return out
}

// client returns a client of repository with its own cache, or the given one.
func (e *env) client(repository, cache string, mod ...func(*Config)) *Client {
	e.t.Helper()
	if cache == "" {
		cache = e.t.TempDir()
	}
	cfg := Config{BaseURL: e.srv.URL, Repository: repository, TrustedRoot: e.root, CacheDir: cache}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	return c
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// mustCheck runs Check and fails the test on error.
func mustCheck(t *testing.T, c *Client) Status {
	t.Helper()
	st, err := c.Check(ctxT(t))
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	return st
}

// binPath matches the request path of the bin holding module's listing.
func binPath(repository, module string, bits int) string {
	return `^/` + regexp.QuoteMeta(repository) + `/metadata/\d+\.` + meta.BinOf("modules/"+module+".json", bits) + `\.json$`
}

// count returns how many paths match re.
func count(paths []string, re string) int {
	rx := regexp.MustCompile(re)
	n := 0
	for _, p := range paths {
		if rx.MatchString(p) {
			n++
		}
	}
	return n
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func mustListing(t testing.TB, c *Client, module string) *catalog.Listing {
	t.Helper()
	l, err := c.Listing(ctxT(t), module)
	if err != nil {
		t.Fatalf("Listing %s: %v", module, err)
	}
	return l
}
