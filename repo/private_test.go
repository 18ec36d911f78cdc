package repo

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/repo/sample"
)

// privateFixture is the sample catalog, a private repository acme holding
// acme-payroll 1.0.0, and a server over HTTP.
type privateFixture struct {
	s       *Store
	clock   *clock
	srv     *httptest.Server
	archive string // acme-payroll's archive path
}

func newPrivateFixture(t *testing.T) *privateFixture {
	ctx := t.Context()
	t.Helper()
	s, c := newTestStore(t)
	publishSample(t, s)
	if err := s.AddPrivateRepository(ctx, "acme", admin); err != nil {
		t.Fatalf("AddPrivateRepository: %v", err)
	}
	if err := s.AddPrivateRepository(ctx, "other", admin); err != nil {
		t.Fatal(err)
	}
	data, _ := mod("acme-payroll", "1.0.0", "core>=2.50.0").Archive()
	p, err := s.PublishTo(ctx, data, "acme", admin)
	if err != nil || !slices.Equal(p.Repositories, []string{"acme"}) {
		t.Fatalf("PublishTo acme = %+v, %v; want placed in acme only", p, err)
	}
	h, err := NewServer(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &privateFixture{s: s, clock: c, srv: srv, archive: "archives/" + p.SHA256 + ".zip"}
}

func (f *privateFixture) token(t *testing.T, spec TokenSpec) string {
	ctx := t.Context()
	t.Helper()
	tok, err := f.s.AddToken(ctx, spec, admin)
	if err != nil {
		t.Fatalf("AddToken %+v: %v", spec, err)
	}
	return tok
}

// get returns the status, Cache-Control and body of a GET with token.
func (f *privateFixture) get(t *testing.T, path, token string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Cache-Control"), string(body)
}

// TestPrivateRepositoryGatedOverHTTP: a private repository's metadata and
// archives are served only to a reader token scoped to it; no token, a
// wrong scope, a revoked and an expired token are refused; public reads
// stay open and public listings do not name private versions.
func TestPrivateRepositoryGatedOverHTTP(t *testing.T) {
	ctx := t.Context()
	f := newPrivateFixture(t)
	reader := f.token(t, TokenSpec{Name: "acme-prod", Role: RoleReader, Repositories: []string{"acme"}})
	wrong := f.token(t, TokenSpec{Name: "other-prod", Role: RoleReader, Repositories: []string{"other"}})
	revoked := f.token(t, TokenSpec{Name: "acme-old", Role: RoleReader, Repositories: []string{"acme"}})
	if err := f.s.RevokeToken(ctx, "acme-old", admin); err != nil {
		t.Fatal(err)
	}
	expiring := f.token(t, TokenSpec{Name: "acme-trial", Role: RoleReader, Repositories: []string{"acme"}, Expires: f.clock.t.Add(time.Hour)})

	for _, path := range []string{"/acme/metadata/timestamp.json", "/acme/metadata/1.root.json", "/" + f.archive} {
		for _, c := range []struct {
			who, token string
			code       int
			say        string
		}{
			{"no token", "", http.StatusUnauthorized, "needs a reader token"},
			{"wrong scope", wrong, http.StatusForbidden, "may not read private repository acme"},
			{"revoked", revoked, http.StatusUnauthorized, "was revoked"},
			{"forged", "upk_forged", http.StatusUnauthorized, "unknown token"},
		} {
			if code, _, body := f.get(t, path, c.token); code != c.code || !strings.Contains(body, c.say) {
				t.Errorf("GET %s with %s: %d %s, want %d saying %q", path, c.who, code, body, c.code, c.say)
			}
		}
		for _, tok := range []string{reader, expiring} {
			if code, cc, _ := f.get(t, path, tok); code != http.StatusOK || !strings.HasPrefix(cc, "private") {
				t.Errorf("GET %s with a reader token of acme: %d, Cache-Control %q; want 200, private", path, code, cc)
			}
		}
	}
	f.clock.t = f.clock.t.Add(2 * time.Hour)
	if code, _, body := f.get(t, "/acme/metadata/timestamp.json", expiring); code != http.StatusUnauthorized || !strings.Contains(body, "expired") {
		t.Errorf("GET with an expired token: %d %s, want 401 saying expired", code, body)
	}

	// Public reads stay open and say nothing of private versions.
	if code, cc, _ := f.get(t, "/2.50/metadata/timestamp.json", ""); code != http.StatusOK || cc != "no-cache" {
		t.Errorf("public timestamp: %d, %q", code, cc)
	}
	_, _, health := f.get(t, "/healthz", "")
	_, _, list := f.get(t, "/api/v1/modules", "")
	if strings.Contains(health, "acme") || strings.Contains(list, "acme") {
		t.Errorf("anonymous /healthz or /api/v1/modules names the private repository:\n%s\n%s", health, list)
	}
	_, _, list = f.get(t, "/api/v1/modules", reader)
	var mods []ModuleInfo
	json.Unmarshal([]byte(list), &mods)
	if _, v, ok := findIn(mods, "acme-payroll", "1.0.0"); !ok || !slices.Equal(v.Repositories, []string{"acme"}) {
		t.Errorf("the reader's module list lacks acme-payroll 1.0.0 in acme: %s", list)
	}
	if _, _, dir := f.get(t, "/2.50/targets/"+targetStored(t, f.s, "2.50", DirectoryPath), ""); strings.Contains(dir, "acme") {
		t.Errorf("the 2.50 repository's directory names the private repository: %s", dir)
	}
}

func findIn(mods []ModuleInfo, module, version string) (ModuleInfo, VersionInfo, bool) {
	for _, m := range mods {
		for _, v := range m.Versions {
			if m.Name == module && v.Version == version {
				return m, v, true
			}
		}
	}
	return ModuleInfo{}, VersionInfo{}, false
}

// targetStored is the stored name of a repository's target.
func targetStored(t *testing.T, s *Store, repository, path string) string {
	t.Helper()
	var sha string
	if err := s.db.Get(&sha, "SELECT sha256 FROM tuf_targets WHERE repository = ? AND path = ?", repository, path); err != nil {
		t.Fatal(err)
	}
	return sha + "." + path
}

// TestPrivateVersionsStayPrivate: a new core never widens a private version
// into a series; an extension stays in its private repository; a core or a
// series repository cannot be the target of a private publish; reader
// tokens need private repositories; the static export leaves private
// repositories out or refuses them.
func TestPrivateVersionsStayPrivate(t *testing.T) {
	ctx := t.Context()
	f := newPrivateFixture(t)
	mustPublish(t, f.s, sample.Module{Name: "core", Version: "3.1.0", Core: true, DefaultUpgrade: true, Maturity: "beta", UpgradeFrom: "3.0.0"})
	ext, err := f.s.Extend(ctx, "acme-payroll", "1.0.0", mustDeps(t, "core>=2.50.0,<3.2"), admin)
	if err != nil || !slices.Equal(ext.Repositories, []string{"acme"}) {
		t.Fatalf("extend of a private version = %+v, %v; want it in acme only", ext, err)
	}
	if got := placements(t, f.s)["acme-payroll 1.0.0"]; got != "acme" {
		t.Fatalf("acme-payroll 1.0.0 is in %q after core 3.1.0, want acme only", got)
	}
	core, _ := sample.Module{Name: "core", Version: "3.2.0", Core: true, Maturity: "beta"}.Archive()
	if _, err := f.s.PublishTo(ctx, core, "acme", admin); KindOf(err) != KindInvalid || !strings.Contains(err.Error(), "the core is public") {
		t.Errorf("a core into a private repository: %v", err)
	}
	other, _ := mod("zeta", "1.0.0").Archive()
	if _, err := f.s.PublishTo(ctx, other, "2.50", admin); KindOf(err) != KindInvalid {
		t.Errorf("publish --repository 2.50: %v, want refused", err)
	}
	if _, err := f.s.AddToken(ctx, TokenSpec{Name: "r", Role: RoleReader, Repositories: []string{"2.50"}}, admin); KindOf(err) != KindInvalid {
		t.Errorf("a reader token for a public repository: %v, want refused", err)
	}
	for _, bad := range []string{"2.50", "archives", "../x"} {
		if err := f.s.AddPrivateRepository(ctx, bad, admin); KindOf(err) != KindInvalid {
			t.Errorf("private repository named %q: %v, want refused", bad, err)
		}
	}
	res, err := f.s.Export(ctx, t.TempDir(), ExportOptions{})
	if err != nil || slices.Contains(res.Repositories, "acme") || !slices.Equal(res.LeftOut, []string{"acme", "other"}) {
		t.Fatalf("export of all = %+v, %v; want acme and other left out", res, err)
	}
	if _, err := f.s.Export(ctx, t.TempDir(), ExportOptions{Repositories: []string{"acme"}}); KindOf(err) != KindInvalid || !strings.Contains(err.Error(), "checks reader tokens") {
		t.Fatalf("export of acme: %v, want refused", err)
	}
	if res, err := f.s.Export(ctx, t.TempDir(), ExportOptions{Repositories: []string{"acme"}, IncludePrivate: true}); err != nil || !slices.Equal(res.Private, []string{"acme"}) {
		t.Fatalf("export of acme --include-private = %+v, %v", res, err)
	}
}
