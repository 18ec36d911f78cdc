package cli_test

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

// TestPrivateRepositoryCommands: the commands of the private-repository
// walk-through in docs/REPOSITORY.md, through the server and locally.
func TestPrivateRepositoryCommands(t *testing.T) {
	t.Parallel()
	dir, admin := initRepo(t)
	mustRun(t, append([]string{"publish", "--dir", dir}, sampleArchives(t)...)...)
	out := mustRun(t, "repository", "add", "--dir", dir, "2.50-private", "--private")
	if !strings.Contains(out, "publish --repository 2.50-private") {
		t.Errorf("repository add printed %q", out)
	}
	if code, _, errOut := run(t, "repository", "add", "--dir", dir, "acme"); code != 2 || !strings.Contains(errOut, "--private") {
		t.Errorf("repository add without --private: exit %d %s", code, errOut)
	}
	m := sample.Module{Name: "acme-payroll", Version: "1.0.0", Summary: "payroll", Maturity: "beta", DefaultUpgrade: true, Depends: []string{"core>=2.50.0"}}
	data, _ := m.Archive()
	zip := filepath.Join(t.TempDir(), "acme-payroll-1.0.0.zip")
	os.WriteFile(zip, data, 0o644)

	s, err := repo.Open(dir, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h, _ := repo.NewServer(s, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()
	out = mustRun(t, "publish", zip, "--repository", "2.50-private", "--server", srv.URL, "--token", admin)
	if !strings.Contains(out, "published acme-payroll 1.0.0 into 2.50-private (") {
		t.Fatalf("publish --repository printed %q", out)
	}
	tok := strings.TrimSpace(mustRun(t, "token", "add", "--dir", dir, "acme-prod", "--role", "reader", "--repositories", "2.50-private", "--expires", "30d"))
	if list := mustRun(t, "token", "list", "--dir", dir); !strings.Contains(list, "acme-prod") || !strings.Contains(list, "2.50-private") || !strings.Contains(list, "active until ") {
		t.Errorf("token list:\n%s", list)
	}
	for tokn, want := range map[string]int{"": http.StatusUnauthorized, tok: http.StatusOK} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/2.50-private/metadata/timestamp.json", nil)
		if tokn != "" {
			req.Header.Set("Authorization", "Bearer "+tokn)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET the private timestamp (token %v): %d, want %d", tokn != "", resp.StatusCode, want)
		}
	}
	if list := mustRun(t, "repository", "list", "--dir", dir); !strings.Contains(list, "2.50-private") || !strings.Contains(list, "private  1 versions") {
		t.Errorf("repository list:\n%s", list)
	}
	out = mustRun(t, "export", "--dir", dir, t.TempDir())
	if !strings.Contains(out, "exported 2.50, 3.0:") || !strings.Contains(out, "left out private 2.50-private") {
		t.Errorf("export printed %q", out)
	}
	if code, _, errOut := run(t, "export", "--dir", dir, "--repository", "2.50-private", t.TempDir()); code != 1 || !strings.Contains(errOut, "checks reader tokens") {
		t.Errorf("export --repository 2.50-private: exit %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "token", "add", "--dir", dir, "x", "--role", "reader", "--repositories", "2.50-private", "--expires", "soon"); code != 2 || !strings.Contains(errOut, "--expires") {
		t.Errorf("token add --expires soon: exit %d %s", code, errOut)
	}
}
