package cli

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// privateServer is a company's own central repository behind a proxy that
// demands a bearer token; it carries the core and one custom module.
func privateServer(t *testing.T, token string) (url string, root []byte) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "acme")
	res, err := repo.Init(dir, repo.InitOptions{BinBits: 4})
	if err != nil {
		t.Fatal(err)
	}
	s, err := repo.Open(dir, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, m := range []sample.Module{
		sample.Catalog()[0], // core 2.50.20
		{Name: "acme-custom", Version: "1.0.0", Summary: "ACME's own invoicing rules", DefaultUpgrade: true,
			Maturity: "confirmed-stable", Depends: []string{"core>=2.50.0"}},
	} {
		data, _ := m.Archive()
		if _, err := s.Publish(ctx, data, repo.LocalActor("acme")); err != nil {
			t.Fatal(err)
		}
	}
	h, _ := repo.NewServer(s, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	root, _ = os.ReadFile(res.RootPath)
	return srv.URL, root
}

func withPrivate(t *testing.T, conf, url string, root []byte, token string) {
	t.Helper()
	base := filepath.Dir(conf)
	os.WriteFile(filepath.Join(base, "acme-root.json"), root, 0o644)
	os.WriteFile(filepath.Join(base, "acme.token"), []byte(token+"\n"), 0o600)
	body := mustRead(t, conf) + "\n[[repository.private]]\nname = \"2.50\"\nurl = \"" + url +
		"\"\ntrusted_root = \"acme-root.json\"\ntoken_file = \"acme.token\"\n"
	os.WriteFile(conf, []byte(body), 0o600)
}

func TestPrivateRepositoryWithCredentials(t *testing.T) {
	conf, stop := story(t)
	defer stop()
	url, root := privateServer(t, "s3cret")
	withPrivate(t, conf, url, root, "s3cret")
	r := scanJSON(t, "--config", conf, "scan", "--install", "acme-custom")
	if len(r.NewModules) != 1 || r.NewModules[0].Version.String() != "1.0.0" || !strings.HasPrefix(r.NewModules[0].Repository, "2.50@127.0.0.1:") {
		t.Fatalf("new modules = %+v, want acme-custom 1.0.0 from 2.50@<the private server>", r.NewModules)
	}
	if !strings.Contains(names(r.Updates), "arp 1.4.0") {
		t.Errorf("the main repository's updates are missing: %s", names(r.Updates))
	}
}

func TestPrivateRepositoryWrongToken(t *testing.T) {
	conf, stop := story(t)
	defer stop()
	url, root := privateServer(t, "s3cret")
	withPrivate(t, conf, url, root, "guess")
	code, _, errOut := run(t, "--config", conf, "scan")
	if code != ExitRepository || !strings.Contains(errOut, "401") || !strings.Contains(errOut, "private repository 2.50@") {
		t.Errorf("wrong token: exit %d %q; want %d naming the private repository and the 401", code, errOut, ExitRepository)
	}
}
