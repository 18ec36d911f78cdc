package repo

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestInitKeepsKeysPrivate(t *testing.T) {
	s, _ := newTestStore(t)
	for path, want := range map[string]os.FileMode{
		filepath.Join(s.Dir(), keysDir):              0o700 | os.ModeDir,
		filepath.Join(s.Dir(), keysDir, rootKeyFile): 0o600,
		filepath.Join(s.Dir(), keysDir, onlineKey):   0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode(), want)
		}
	}
	var tokens []string
	if err := s.db.Select(&tokens, "SELECT hash FROM tokens"); err != nil || len(tokens) != 1 || strings.HasPrefix(tokens[0], "upk_") {
		t.Errorf("tokens table holds %v (%v); want one hash, never the token", tokens, err)
	}
	if _, err := Init(s.Dir(), InitOptions{}); err == nil {
		t.Error("Init over an existing repository succeeded")
	}
}

func TestServeSeesAnotherProcessPublishAtOnce(t *testing.T) {
	ctx := t.Context()
	s, _ := newTestStore(t)
	publishSample(t, s)
	h, err := NewServer(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	url := srv.URL + "/2.50/metadata/timestamp.json"
	_, etag := getCode(t, url, "")
	if code, _ := getCode(t, url, etag); code != http.StatusNotModified {
		t.Fatalf("conditional GET = %d, want 304", code)
	}
	other, err := Open(s.Dir(), Options{}) // the CLI, in another process
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	data, _ := mod("warehouse", "1.0.1", "core>=2.50.20").Archive()
	if _, err := other.Publish(ctx, data, admin); err != nil {
		t.Fatal(err)
	}
	code, newETag := getCode(t, url, etag)
	if code != http.StatusOK || newETag == etag {
		t.Fatalf("after another process published: status %d, etag %s (was %s); want 200 and a new etag", code, newETag, etag)
	}
	if code, _ := getCode(t, srv.URL+"/2.50/metadata/../../repo.db", ""); code != http.StatusNotFound {
		t.Errorf("path escape answered %d, want 404", code)
	}
}

// getCode sends a GET (conditional when inm is set) and returns the status and ETag.
func getCode(t *testing.T, url, inm string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if inm != "" {
		req.Header.Set("If-None-Match", inm)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("ETag")
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	for h, want := range map[string]string{
		"Bearer upk_x": "upk_x", "bearer upk_x": "upk_x", "BEARER  upk_x ": "upk_x",
		"Basic dXNlcg==": "", "upk_x": "", "": "",
	} {
		if got := bearer(h); got != want {
			t.Errorf("bearer(%q) = %q, want %q", h, got, want)
		}
	}
}

func TestOversizedUploadIs413(t *testing.T) {
	ctx := t.Context()
	s, _ := newTestStore(t)
	s.limits.MaxArchiveSize = 1024
	tok, err := s.AddToken(ctx, TokenSpec{Name: "ci", Role: RoleAdmin}, admin)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := NewServer(s, nil)
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/publish", strings.NewReader(strings.Repeat("x", 4096)))
	req.Header.Set("Authorization", "bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "limit") {
		t.Errorf("oversized upload: %d %s, want 413 naming the limit", resp.StatusCode, body)
	}
}
