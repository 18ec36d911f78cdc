package cli_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/internal/testwait"
	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/cli"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// TestE2E builds the real upkeep-repo binary once and drives it as a user would.
func TestE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the binary")
	}
	bin := buildBinary(t)
	t.Run("serve", func(t *testing.T) {
		t.Parallel()
		testServe(t, bin)
	})
	t.Run("demo", func(t *testing.T) {
		t.Parallel()
		testServeDemo(t, bin)
	})
	t.Run("shutdown", func(t *testing.T) {
		t.Parallel()
		testShutdownFinishesRequests(t, bin)
	})
}

// buildBinary runs 'go build ./cmd/upkeep-repo' from the module root.
func buildBinary(t *testing.T) string {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(gomod)) == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		t.Fatalf("go env GOMOD: %q, %v", gomod, err)
	}
	bin := filepath.Join(t.TempDir(), "upkeep-repo")
	build := exec.Command("go", "build", "-o", bin, "./cmd/upkeep-repo")
	build.Dir = filepath.Dir(strings.TrimSpace(string(gomod)))
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/upkeep-repo: %v\n%s", err, out)
	}
	return bin
}

// runBin runs the binary to completion (bounded) and returns exit code, stdout, stderr.
func runBin(t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run upkeep-repo %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

func mustRunBin(t *testing.T, bin string, args ...string) string {
	t.Helper()
	code, out, errOut := runBin(t, bin, args...)
	if code != 0 {
		t.Fatalf("upkeep-repo %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// wantFail runs a command that must exit with code and name every want on stderr.
func wantFail(t *testing.T, bin string, code int, want []string, args ...string) {
	t.Helper()
	got, out, errOut := runBin(t, bin, args...)
	if got != code {
		t.Errorf("upkeep-repo %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), got, code, out, errOut)
		return
	}
	for _, w := range want {
		if !strings.Contains(errOut, w) {
			t.Errorf("upkeep-repo %s: stderr lacks %q:\n%s", strings.Join(args, " "), w, errOut)
		}
	}
}

// lockedBuffer collects a running process's output safely.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// server is a running 'upkeep-repo serve'.
type server struct {
	cmd         *exec.Cmd
	url         string
	out, errOut *lockedBuffer
	exited      chan struct{}
	waitErr     error
}

// serving is serve's log line naming the address it listens on.
var serving = regexp.MustCompile(`msg=serving addr=(http://\S+)`)

// startServe starts 'serve' on a port the kernel picks (--addr
// 127.0.0.1:0, so no other process can take it first) and returns once
// serve has logged the address it listens on and /healthz answers there.
func startServe(t *testing.T, bin, workDir string, args ...string) *server {
	t.Helper()
	s := &server{out: &lockedBuffer{}, errOut: &lockedBuffer{}, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	s.cmd.Dir = workDir
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.errOut
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start serve: %v", err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.exited
	})
	exited := func() bool {
		select {
		case <-s.exited:
			return true
		default:
			return false
		}
	}
	testwait.WaitFor(t, 20*time.Second, func() bool { return exited() || s.listening() })
	if exited() {
		t.Fatalf("serve exited before answering /healthz: %v\nstdout:\n%s\nstderr:\n%s", s.waitErr, s.out, s.errOut)
	}
	return s
}

// listening reports whether serve has logged its address and answers /healthz there.
func (s *server) listening() bool {
	m := serving.FindStringSubmatch(s.errOut.String())
	if m == nil {
		return false
	}
	s.url = m[1]
	resp, err := http.Get(s.url + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop sends SIGTERM and asserts a prompt, clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("serve still running 10s after SIGTERM\nstderr:\n%s", s.errOut)
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("serve exited %d after SIGTERM, want 0: %v\nstderr:\n%s", code, s.waitErr, s.errOut)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("serve took %v to stop after SIGTERM", d)
	}
}

// rawClient does not negotiate gzip by itself, so headers are what the server sent.
var rawClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableCompression: true}}

func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	return do(t, http.MethodGet, url, nil, header...)
}

func do(t *testing.T, method, url string, body []byte, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := rawClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp, data
}

// wantJSONError checks an error answer: status, JSON content type and an
// {"error": ...} body naming every want.
func wantJSONError(t *testing.T, what string, resp *http.Response, body []byte, status int, want ...string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s: HTTP %d, want %d: %s", what, resp.StatusCode, status, body)
		return
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q, want application/json", what, ct)
	}
	var e map[string]any
	if err := json.Unmarshal(body, &e); err != nil {
		t.Errorf("%s: body is not JSON: %v: %s", what, err, body)
		return
	}
	msg, _ := e["error"].(string)
	if msg == "" {
		t.Errorf("%s: body has no \"error\" string: %s", what, body)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("%s: error %q lacks %q", what, msg, w)
		}
	}
}

func timestampETag(t *testing.T, s *server, repository string) string {
	t.Helper()
	resp, body := get(t, s.url+"/"+repository+"/metadata/timestamp.json")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s timestamp: HTTP %d: %s", repository, resp.StatusCode, body)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatalf("GET %s timestamp: no ETag", repository)
	}
	return etag
}

func testServe(t *testing.T, bin string) {
	dir := filepath.Join(t.TempDir(), "cr")
	initOut := mustRunBin(t, bin, "init", dir)
	admin := tokenRE.FindString(initOut)
	if admin == "" {
		t.Fatalf("init printed no admin token:\n%s", initOut)
	}
	s := startServe(t, bin, t.TempDir(), "--dir", dir)
	remote := func(token string, args ...string) []string {
		return append(args, "--server", s.url, "--token", token)
	}

	archives := sampleArchives(t)
	wh1, wh2 := archiveNamed(t, archives, "warehouse-1.0.0.zip"), archiveNamed(t, archives, "warehouse-2.0.0.zip")
	arp2 := archiveNamed(t, archives, "arp-2.0.0.zip")
	var first []string // the rest; wh1, wh2 and arp2 are published later
	for _, a := range archives {
		if a != wh1 && a != wh2 && a != arp2 {
			first = append(first, a)
		}
	}
	out := mustRunBin(t, bin, remote(admin, append([]string{"publish"}, first...)...)...)
	if !strings.Contains(out, "published core 3.0.0 into 3.0") || strings.Count(out, "published ") != len(first) {
		t.Errorf("publish over HTTP printed:\n%s", out)
	}
	pubTok := strings.TrimSpace(mustRunBin(t, bin, "token", "add", "--dir", dir, "ci-warehouse", "--modules", "warehouse"))
	if !tokenRE.MatchString(pubTok) {
		t.Fatalf("token add printed %q", pubTok)
	}

	etag30 := timestampETag(t, s, "3.0")
	out = mustRunBin(t, bin, remote(pubTok, "publish", wh1)...)
	if !strings.Contains(out, "published warehouse 1.0.0 into 2.50") {
		t.Errorf("publisher token: publish warehouse printed %q", out)
	}
	wantFail(t, bin, cli.ExitError, []string{"arp-2.0.0.zip", "ci-warehouse may not publish module arp", "ask an admin"},
		remote(pubTok, "publish", arp2)...)
	wantFail(t, bin, cli.ExitError, []string{"extend needs an admin token", "ci-warehouse"},
		remote(pubTok, "extend", "localization-es", "1.2.0", "--depends", "core>=2.50.0,<3.1")...)
	wantFail(t, bin, cli.ExitError, []string{"unknown token", "ask a repository admin"},
		remote("upk_wrong", "publish", wh2)...)
	wantFail(t, bin, cli.ExitUsage, []string{"--server needs --token"},
		"publish", wh2, "--server", s.url)
	wantFail(t, bin, cli.ExitError, []string{"reading the log needs an admin token"},
		remote(pubTok, "log")...)

	checkHTTPErrors(t, s, pubTok, arp2)
	checkConditionalGet(t, s)
	checkGzipSnapshot(t, s)
	checkArchive(t, s, wh1)

	// A publish into 3.0 changes that repository's timestamp.
	mustRunBin(t, bin, remote(pubTok, "publish", wh2)...)
	mustRunBin(t, bin, remote(admin, "publish", arp2)...)
	if now := timestampETag(t, s, "3.0"); now == etag30 {
		t.Errorf("3.0 timestamp ETag unchanged (%s) after publishing into 3.0", now)
	}
	resp, _ := get(t, s.url+"/3.0/metadata/timestamp.json", "If-None-Match", etag30)
	if resp.StatusCode != http.StatusOK {
		t.Errorf("conditional GET with a stale ETag: HTTP %d, want 200", resp.StatusCode)
	}

	// A write by another process, on the directory, is served at once.
	etag250 := timestampETag(t, s, "2.50")
	mustRunBin(t, bin, "maturity", "--dir", dir, "reports", "0.9.0", "qa-approved")
	if now := timestampETag(t, s, "2.50"); now == etag250 {
		t.Errorf("2.50 timestamp ETag unchanged (%s) after a local maturity change", now)
	}

	// Admin-only writes work over HTTP with the admin token.
	out = mustRunBin(t, bin, remote(admin, "extend", "localization-es", "1.2.0", "--depends", "core>=2.50.0,<3.1")...)
	if !strings.Contains(out, "localization-es 1.2.0.1") || !strings.Contains(out, "repositories: 2.50, 3.0") {
		t.Errorf("extend over HTTP printed:\n%s", out)
	}
	// An advisory added over HTTP by the module's publisher is signed into the listing; another module's is refused.
	etag250 = timestampETag(t, s, "2.50")
	out = mustRunBin(t, bin, remote(pubTok, "advisory", "add", "warehouse", "1.0.0", "--id", "UPK-2026-0100", "--severity", "medium",
		"--title", "Stock report shows other companies' stock", "--affects", "<1.0.0")...)
	if !strings.Contains(out, "warehouse 1.0.0 now carries advisory UPK-2026-0100") {
		t.Errorf("advisory add over HTTP printed:\n%s", out)
	}
	if now := timestampETag(t, s, "2.50"); now == etag250 {
		t.Errorf("2.50 timestamp ETag unchanged (%s) after an advisory", now)
	}
	wantFail(t, bin, cli.ExitError, []string{"ci-warehouse may not add advisories to arp"},
		remote(pubTok, "advisory", "add", "arp", "1.4.0", "--id", "X-1", "--severity", "low", "--title", "t", "--affects", "<1.4.0")...)
	var mods []repo.ModuleInfo
	if err := json.Unmarshal([]byte(mustRunBin(t, bin, remote(admin, "list", "--json")...)), &mods); err != nil {
		t.Fatalf("list --json over HTTP: %v", err)
	}
	if _, v, ok := findVersion(mods, "warehouse", "2.0.0"); !ok || !slices.Equal(v.Repositories, []string{"3.0"}) {
		t.Errorf("list over HTTP: warehouse 2.0.0 = %+v (found %v), want it in [3.0]", v, ok)
	}
	logOut := mustRunBin(t, bin, remote(admin, "log", "--module", "warehouse")...)
	if !strings.Contains(logOut, "ci-warehouse") {
		t.Errorf("log does not name the publisher token as actor:\n%s", logOut)
	}
	s.stop(t)
	wantFail(t, bin, cli.ExitError, []string{"is 'upkeep-repo serve' running there?"}, remote(admin, "list")...)
}

func checkHTTPErrors(t *testing.T, s *server, pubTok, arpArchive string) {
	t.Helper()
	data, err := os.ReadFile(arpArchive)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := do(t, http.MethodPost, s.url+"/api/v1/publish", data)
	wantJSONError(t, "publish without a token", resp, body, http.StatusUnauthorized, "no token")
	if resp.Header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	resp, body = do(t, http.MethodPost, s.url+"/api/v1/publish", data, "Authorization", "Bearer upk_wrong")
	wantJSONError(t, "publish with a wrong token", resp, body, http.StatusUnauthorized, "unknown token")
	resp, body = do(t, http.MethodPost, s.url+"/api/v1/publish", data, "Authorization", "Bearer "+pubTok)
	wantJSONError(t, "publish arp with a warehouse token", resp, body, http.StatusForbidden, "may not publish module arp")
	resp, body = do(t, http.MethodPost, s.url+"/api/v1/modules/localization-es/versions/1.2.0/extend",
		[]byte(`{"depends":["core>=2.50.0,<3.1"]}`), "Authorization", "Bearer "+pubTok)
	wantJSONError(t, "extend with a publisher token", resp, body, http.StatusForbidden, "admin token")
	resp, body = get(t, s.url+"/2.50/metadata/nosuch.json")
	wantJSONError(t, "unknown document", resp, body, http.StatusNotFound, "not found")
}

func checkConditionalGet(t *testing.T, s *server) {
	t.Helper()
	url := s.url + "/2.50/metadata/timestamp.json"
	resp, body := get(t, url)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusOK || etag == "" || !json.Valid(body) {
		t.Fatalf("GET timestamp: HTTP %d, ETag %q, JSON %v", resp.StatusCode, etag, json.Valid(body))
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("timestamp Cache-Control = %q, want no-cache", cc)
	}
	resp, body = get(t, url, "If-None-Match", etag)
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("conditional GET: HTTP %d with %d body bytes, want 304 and empty", resp.StatusCode, len(body))
	}
	if got := resp.Header.Get("ETag"); got != etag {
		t.Errorf("304 ETag %q, want %q", got, etag)
	}
}

func checkGzipSnapshot(t *testing.T, s *server) {
	t.Helper()
	_, ts := get(t, s.url+"/2.50/metadata/timestamp.json")
	var doc struct {
		Signed struct {
			Meta map[string]struct{ Version int64 } `json:"meta"`
		} `json:"signed"`
	}
	if err := json.Unmarshal(ts, &doc); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("%s/2.50/metadata/%d.snapshot.json", s.url, doc.Signed.Meta["snapshot.json"].Version)
	resp, plain := get(t, url)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET snapshot: HTTP %d: %s", resp.StatusCode, plain)
	}
	resp, gz := get(t, url, "Accept-Encoding", "gzip")
	if enc := resp.Header.Get("Content-Encoding"); resp.StatusCode != http.StatusOK || enc != "gzip" {
		t.Fatalf("GET snapshot with Accept-Encoding gzip: HTTP %d, Content-Encoding %q", resp.StatusCode, enc)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("gzip snapshot: %v", err)
	}
	unz, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unz, plain) {
		t.Errorf("gunzipped snapshot differs from the plain one (err %v)", err)
	}
	if len(gz) >= len(plain) {
		t.Errorf("gzip snapshot is %d bytes, plain %d", len(gz), len(plain))
	}
	if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("gzip answer without Vary: Accept-Encoding")
	}
}

func checkArchive(t *testing.T, s *server, archive string) {
	t.Helper()
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	resp, body := get(t, s.url+"/archives/"+hex.EncodeToString(sum[:])+".zip")
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, data) {
		t.Errorf("GET archive %s: HTTP %d, identical %v", filepath.Base(archive), resp.StatusCode, bytes.Equal(body, data))
	}
}

func testServeDemo(t *testing.T, bin string) {
	work := t.TempDir()
	s := startServe(t, bin, work, "--demo")
	if _, err := os.Stat(filepath.Join(work, cli.DemoDir, "repo.db")); err != nil {
		t.Errorf("serve --demo did not create %s: %v", cli.DemoDir, err)
	}
	tok, err := os.ReadFile(filepath.Join(work, cli.DemoDir, "admin-token"))
	if err != nil || !tokenRE.Match(tok) {
		t.Errorf("demo admin token file: %q, %v", tok, err)
	}
	if out := s.out.String(); !strings.Contains(out, "Demo repository created in "+cli.DemoDir) {
		t.Errorf("serve --demo stdout:\n%s", out)
	}
	resp, body := get(t, s.url+"/healthz")
	var health struct {
		Status       string   `json:"status"`
		Repositories []string `json:"repositories"`
	}
	if err := json.Unmarshal(body, &health); err != nil || resp.StatusCode != 200 || !slices.Equal(health.Repositories, []string{"2.50", "3.0"}) {
		t.Errorf("demo /healthz: HTTP %d %s (%v)", resp.StatusCode, body, err)
	}
	resp, body = get(t, s.url+"/api/v1/modules")
	var mods []repo.ModuleInfo
	if err := json.Unmarshal(body, &mods); err != nil || resp.StatusCode != 200 {
		t.Fatalf("demo /api/v1/modules: HTTP %d: %v", resp.StatusCode, err)
	}
	for _, m := range sample.Catalog() {
		if _, _, ok := findVersion(mods, m.Name, m.Version); !ok {
			t.Errorf("demo catalog lacks %s %s", m.Name, m.Version)
		}
	}
	if etag := timestampETag(t, s, "3.0"); etag == "" {
		t.Error("demo 3.0 timestamp has no ETag")
	}
	s.stop(t)

	// A second start reuses the demo repository.
	s = startServe(t, bin, work, "--demo")
	if out := s.out.String(); !strings.Contains(out, "Using the demo repository in "+cli.DemoDir) {
		t.Errorf("second serve --demo stdout:\n%s", out)
	}
	s.stop(t)
}
