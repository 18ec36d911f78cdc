package scanner_test

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp/demo"
	"github.com/upkeep-erp/upkeep/agent/scanner"
	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// TestGatedPrivateRepositoryOverHTTP: an agent reads a private repository
// of its central repository with the reader token configured for it, and
// downloads its archives; without a token, with a token of another scope,
// a revoked or an expired one, the scan fails as a repository error
// (exit 3) that says what to do.
func TestGatedPrivateRepositoryOverHTTP(t *testing.T) {
	ctx := t.Context()
	r, c, st, _ := scanning(t)
	admin := repo.LocalActor("test")
	for _, name := range []string{"acme", "other"} {
		if err := r.store.AddPrivateRepository(ctx, name, admin); err != nil {
			t.Fatal(err)
		}
	}
	payroll := sample.Module{Name: "acme-payroll", Version: "1.0.0", Summary: "ACME payroll", DefaultUpgrade: true,
		Maturity: "confirmed-stable", Depends: []string{"core>=2.50.0"}}
	data, _ := payroll.Archive()
	if _, err := r.store.PublishTo(ctx, data, "acme", admin); err != nil {
		t.Fatal(err)
	}
	token := func(name, scope string, expires time.Time) string {
		tok, err := r.store.AddToken(ctx, repo.TokenSpec{Name: name, Role: repo.RoleReader, Repositories: []string{scope}, Expires: expires}, admin)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good, wrong := token("acme-prod", "acme", time.Time{}), token("other-prod", "other", time.Time{})
	expiry := time.Now().Add(2 * time.Second)
	revoked, short := token("acme-old", "acme", time.Time{}), token("acme-trial", "acme", expiry)
	if err := r.store.RevokeToken(ctx, "acme-old", admin); err != nil {
		t.Fatal(err)
	}
	erp, err := demo.New(demo.Config{Dir: c.ERP.Demo.Dir})
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(t.TempDir(), "acme.token")
	c.Repository.Private = []config.Private{{Name: "acme", URL: r.url, TrustedRoot: c.Repository.TrustedRoot, TokenFile: tokenFile}}
	scanWith := func(tok string) error {
		os.WriteFile(tokenFile, []byte(tok+"\n"), 0o600)
		c.State.Dir = t.TempDir() // a cold cache: every case reads the private repository
		_, err := scanner.Scan(ctx, c, st, erp, scanner.Request{Install: []string{"acme-payroll"}})
		return err
	}

	if err := scanWith(good); err != nil {
		t.Fatalf("scan with the reader token: %v", err)
	}
	rep, _ := scanner.Scan(ctx, c, st, erp, scanner.Request{Install: []string{"acme-payroll"}})
	u, _ := url.Parse(r.url)
	if len(rep.NewModules) != 1 || rep.NewModules[0].Repository != "acme@"+u.Host {
		t.Fatalf("new modules = %+v, want acme-payroll from acme@%s", rep.NewModules, u.Host)
	}
	cl, err := scanner.ArchiveClient(c, "acme@"+u.Host)
	if err != nil {
		t.Fatal(err)
	}
	l, err := cl.Listing(ctx, "acme-payroll")
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Archive(ctx, l.Latest().Archive, filepath.Join(t.TempDir(), "p.zip")); err != nil {
		t.Fatalf("download of the private archive with the token: %v", err)
	}

	time.Sleep(time.Until(expiry) + 100*time.Millisecond) // the trial token has expired
	for _, tc := range []struct{ who, tok, want string }{
		{"no token", "", "HTTP 401"},
		{"another scope", wrong, "HTTP 403"},
		{"revoked", revoked, "HTTP 401"},
		{"expired", short, "HTTP 401"},
	} {
		err := scanWith(tc.tok)
		if !errors.Is(err, scanner.ErrRepository) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "private repository acme@") ||
			!strings.Contains(err.Error(), "token") {
			t.Errorf("scan with %s: %v; want a repository error (%s) about the token", tc.who, err, tc.want)
		}
	}
}
