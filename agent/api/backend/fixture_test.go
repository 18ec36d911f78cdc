package backend_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/api/backend"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
	"github.com/upkeep-erp/upkeep/agent/host"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

var ctx = context.Background()

// demoBin is the demo-erp program, built once by TestMain.
var demoBin string

func TestMain(m *testing.M) { erptest.Main(m, &demoBin) }

// gate holds back a server's answers while closed: the repository's
// archive downloads wait, the configured health check answers 503.
type gate struct {
	closed atomic.Bool
	mu     sync.Mutex
	open   chan struct{}
}

func newGate() *gate { return &gate{open: make(chan struct{})} }

func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed.Swap(true) {
		g.open = make(chan struct{})
	}
}

func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed.Swap(false) {
		close(g.open)
	}
}

func (g *gate) wait(r *http.Request) {
	g.mu.Lock()
	ch, closed := g.open, g.closed.Load()
	g.mu.Unlock()
	if closed {
		select {
		case <-ch:
		case <-r.Context().Done():
		}
	}
}

// agent is a backend over a demo ERP whose server runs, a central
// repository serving the demo catalog over loopback HTTP, and the state.
type agent struct {
	b        *backend.Backend
	st       *store.Store
	ev       *store.Events
	conf     string
	archives *gate // holds the repository's archive downloads
	health   *gate // fails the configured health check
	erpURL   string
}

// instanceArchives is the story's installed set.
func instanceArchives(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	for _, nv := range [][2]string{{"core", "2.50.20"}, {"arp", "1.3.0"}, {"localization-es", "1.2.0"}, {"reports", "0.9.0"}} {
		data, err := sample.ArchiveOf(nv[0], nv[1])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// serveRepository serves the demo catalog; archive requests pass g.
func serveRepository(t *testing.T, g *gate) (url string, root []byte) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cr")
	res, err := repo.Init(dir, repo.InitOptions{BinBits: 4})
	if err != nil {
		t.Fatal(err)
	}
	s, err := repo.Open(dir, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, m := range sample.Catalog() {
		data, _ := m.Archive()
		if _, err := s.Publish(ctx, data, repo.LocalActor("test")); err != nil {
			t.Fatal(err)
		}
	}
	h, err := repo.NewServer(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/archives/") {
			g.wait(r)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	root, err = os.ReadFile(res.RootPath)
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, root
}

// newAgent builds the instance, its running server and the backend.
func newAgent(t *testing.T) *agent {
	t.Helper()
	dir := t.TempDir()
	if err := demoerp.NewInstance(filepath.Join(dir, "erp"), instanceArchives(t)); err != nil {
		t.Fatal(err)
	}
	a := &agent{archives: newGate(), health: newGate()}
	repoURL, root := serveRepository(t, a.archives)
	os.WriteFile(filepath.Join(dir, "root.json"), root, 0o644)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.health.closed.Load() {
			http.Error(w, "held by the test", http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(hs.Close)
	addr := erptest.FreeAddr(t)
	a.erpURL = "http://" + addr
	pidfile := filepath.Join(dir, "demo-erp.pid")
	start, _ := json.Marshal([]string{demoBin, "--dir", filepath.Join(dir, "erp"), "serve", "--addr", addr, "--pidfile", pidfile})
	a.conf = filepath.Join(dir, "upkeep.toml")
	body := fmt.Sprintf(`[erp]
kind = "demo"
demo.dir = "erp"
demo.url = %q
demo.command = [%q]
[erp.server]
pidfile = %q
start = %s
stop_timeout = "10s"
[[erp.health]]
name = "gate"
url = %q
[apply]
health_timeout = "20s"
[repository]
url = %q
trusted_root = "root.json"
[state]
dir = "state"
`, a.erpURL, demoBin, pidfile, start, hs.URL, repoURL)
	if err := os.WriteFile(a.conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(a.conf)
	if err != nil {
		t.Fatal(err)
	}
	w, err := openWriter(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		w.Stop(c)
	})
	a.st, err = store.Open(c.State.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.ev = store.NewEvents(a.st)
	a.b = backend.New(backend.Options{Config: c, Store: a.st, Events: a.ev, Version: "v-test", Started: time.Now(), Open: host.Open})
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		a.b.Wait(c)
		a.st.Close()
	})
	return a
}

// openWriter is the ERP's write side as the agent opens it.
func openWriter(c *config.Config) (erp.Writer, error) {
	h, err := host.Open(c)
	if err != nil {
		return nil, err
	}
	return h.Writer()
}

// erpHealthy asks the demo ERP's own health endpoint.
func (a *agent) erpHealthy() bool {
	resp, err := http.Get(a.erpURL + "/health")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// versions returns the installed version of each module.
func (a *agent) versions(t *testing.T) map[string]string {
	t.Helper()
	mods, err := a.b.Installed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range mods {
		out[m.Module] = m.Version
	}
	return out
}

// follow streams run id's events into a channel, closed at the end; the
// stream's error goes to errc.
func (a *agent) follow(id string) (<-chan api.RunEvent, <-chan error) {
	out, errc := make(chan api.RunEvent, 4096), make(chan error, 1)
	go func() {
		defer close(out)
		errc <- a.b.RunEvents(ctx, id, 0, func(e api.RunEvent) error { out <- e; return nil })
	}()
	return out, errc
}

// until reads events until one matches, failing the test after a deadline.
func until(t *testing.T, events <-chan api.RunEvent, what string, match func(api.RunEvent) bool) []api.RunEvent {
	t.Helper()
	var seen []api.RunEvent
	deadline := time.After(60 * time.Second)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("the stream ended before %s; saw %d events", what, len(seen))
			}
			seen = append(seen, e)
			if match(e) {
				return seen
			}
		case <-deadline:
			t.Fatalf("no %s within 60s; saw %d events", what, len(seen))
		}
	}
}

func drain(t *testing.T, events <-chan api.RunEvent, errc <-chan error) []api.RunEvent {
	t.Helper()
	var seen []api.RunEvent
	for e := range events {
		seen = append(seen, e)
	}
	if err := <-errc; err != nil {
		t.Fatalf("the run's event stream: %v", err)
	}
	return seen
}
