package api_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/api/backend"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/platform"
)

const confText = `[erp]
kind = "demo"
demo.dir = "erp"
[repository]
url = "http://127.0.0.1:1"
trusted_root = "root.json"
[state]
dir = "state"
`

// publicTempDir is a temporary folder that other users can traverse (for a
// child process running as nobody).
func publicTempDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	for _, p := range []string{d, filepath.Dir(d)} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// newBackend is the real backend over a real store and configuration file in dir.
func newBackend(t *testing.T, dir string) *backend.Backend {
	t.Helper()
	conf := filepath.Join(dir, "upkeep.toml")
	if err := os.WriteFile(conf, []byte(confText), 0o640); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(conf)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(c.State.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return backend.New(backend.Options{Config: c, Store: st, Version: "test", Started: time.Now()})
}

// serve serves b on a real unix socket in dir with the socket's group, and
// returns the socket's path and the server.
func serve(t *testing.T, dir string, b api.Backend, o api.Options, group string) (string, *api.Server) {
	ctx := t.Context()
	t.Helper()
	srv, err := api.NewServer(b, o)
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "run", "upkeep.sock")
	l, err := platform.ListenLocal(sock, group)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		srv.Shutdown(c)
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return sock, srv
}

// rawClient speaks plain HTTP over the socket, for requests the Client never sends.
func rawClient(sock string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return platform.DialLocal(ctx, sock)
	}}}
}

// kind names an error's type for assertions and the child's report.
func kind(err error) string {
	var (
		ad *api.AccessDeniedError
		ue *api.UnreachableError
		nf *api.NotFoundError
		cf *api.ConflictError
		br *api.BadRequestError
		na *api.NotAvailableError
	)
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &ad):
		return "access_denied"
	case errors.As(err, &ue):
		return "unreachable"
	case errors.As(err, &nf):
		return "not_found"
	case errors.As(err, &cf):
		return "conflict"
	case errors.As(err, &br):
		return "bad_request"
	case errors.As(err, &na):
		return "not_available"
	}
	return "other: " + err.Error()
}
