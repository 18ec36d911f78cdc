package fetch

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/upkeep-erp/upkeep/repo"
)

const tsPath = "/2.50/metadata/timestamp.json"

func TestCheckListingArchiveHappyPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	c := e.client("2.50", "")
	st := mustCheck(t, c)
	if !st.Changed || st.TimestampVersion < 1 || !st.Expires.After(time.Now()) {
		t.Fatalf("cold Check = %+v, want Changed, a version and a future expiry", st)
	}
	l, err := c.Listing(ctxT(t), "arp")
	if err != nil {
		t.Fatalf("Listing arp: %v", err)
	}
	if l.Repository != "2.50" || l.Module != "arp" || len(l.Versions) != 2 || l.Latest().Version.String() != "1.4.0" {
		t.Fatalf("Listing arp = %s/%s with %d versions, want 2.50/arp with 1.3.0 and 1.4.0", l.Repository, l.Module, len(l.Versions))
	}
	ref := l.Latest().Archive
	dst := filepath.Join(t.TempDir(), "arp.zip")
	if err := c.Archive(ctxT(t), ref, dst); err != nil {
		t.Fatalf("Archive: %v", err)
	}
	data, err := os.ReadFile(dst)
	if sum := sha256.Sum256(data); err != nil || hex.EncodeToString(sum[:]) != ref.SHA256 {
		t.Fatalf("archive at dst: err %v, sha256 %x, want %s", err, sum, ref.SHA256)
	}
	c.ResetStats()
	e.requests()
	st = mustCheck(t, c)
	s := c.Stats()
	if st.Changed || s.Requests != 1 || s.NotModified != 1 || s.WireBytes >= 1024 || s.Bytes != 0 {
		t.Fatalf("second Check = %+v, stats %+v; want unchanged, one request answered 304, under 1 KiB", st, s)
	}
	if got := e.requests(); len(got) != 1 || got[0] != tsPath {
		t.Fatalf("second Check requested %v, want only %s", got, tsPath)
	}
}

func TestOneModuleChangedFetchesOneBin(t *testing.T) {
	t.Parallel()
	const bits = 4
	e := newEnv(t, bits)
	c := e.client("2.50", "")
	mustCheck(t, c)
	for _, m := range []string{"arp", "warehouse"} {
		if _, err := c.Listing(ctxT(t), m); err != nil {
			t.Fatalf("Listing %s: %v", m, err)
		}
	}
	publish(t, e.store, warehouse101)
	e.requests()
	c.ResetStats()
	if st := mustCheck(t, c); !st.Changed {
		t.Fatalf("Check after publishing = %+v, want Changed", st)
	}
	l, err := c.Listing(ctxT(t), "warehouse")
	if err != nil || l.Latest().Version.String() != "1.0.1" {
		t.Fatalf("Listing warehouse = %v, %v; want 1.0.1 as the latest", l, err)
	}
	got := e.requests()
	bins := count(got, `/metadata/\d+\.bins-[0-9a-f]+\.json$`)
	want := map[string]int{
		`^/2\.50/metadata/2\.root\.json$`:                        1, // TUF's probe for a newer root: 404
		`^/2\.50/metadata/timestamp\.json$`:                      1,
		`^/2\.50/metadata/\d+\.snapshot\.json$`:                  1,
		binPath("2.50", "warehouse", bits):                       1,
		`^/2\.50/targets/modules/[0-9a-f]{64}\.warehouse\.json$`: 1,
	}
	for re, n := range want {
		if count(got, re) != n {
			t.Errorf("requests %v: %d match %s, want %d", got, count(got, re), re, n)
		}
	}
	if bins != 1 || len(got) != 5 {
		t.Fatalf("requests %v: %d bins of %d requests, want 1 bin of 5 requests", got, bins, len(got))
	}
	t.Logf("one module changed: %d requests, %d bytes on the wire, %d decoded: %v", c.Stats().Requests, c.Stats().WireBytes, c.Stats().Bytes, got)
}

// flipAfter returns b with the character right after the first marker
// changed ('0' <-> '1', anything else to '0').
func flipAfter(marker string) func([]byte) []byte {
	return func(b []byte) []byte {
		out := bytes.Clone(b)
		i := bytes.Index(out, []byte(marker)) + len(marker)
		if i < len(marker) {
			return out // no marker: served unchanged, so the test fails as "accepted"
		}
		if out[i] == '0' {
			out[i] = '1'
		} else {
			out[i] = '0'
		}
		return out
	}
}

var (
	flipSig    = flipAfter(`"sig":"`)       // one hex digit of the signature
	flipSigned = flipAfter(`"expires":"20`) // one digit of the signed expiry year
)

func TestBadSignatureRejectedAndCacheKept(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, path string
		mod        func([]byte) []byte
		listing    bool // the tampered file is only read by Listing
	}{
		{"timestamp signature", `^/2\.50/metadata/timestamp\.json$`, flipSig, false},
		{"timestamp signed part", `^/2\.50/metadata/timestamp\.json$`, flipSigned, false},
		{"bin signed part", binPath("2.50", "arp", 4), flipSigned, true},
		{"listing body", `^/2\.50/targets/modules/.*\.arp\.json$`, func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"arp"`), []byte(`"arq"`), 1)
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, 4)
			c := e.client("2.50", "")
			first := mustCheck(t, c)
			good, _ := c.cachedTimestamp()
			publish(t, e.store, sampleArp141)
			e.rewrite(tc.path, tc.mod)
			_, err := c.Check(ctxT(t))
			if err == nil && tc.listing {
				_, err = c.Listing(ctxT(t), "arp")
			}
			if err == nil {
				t.Fatalf("tampered %s was accepted", tc.name)
			}
			t.Logf("rejected: %v", err)
			if cached, _ := c.cachedTimestamp(); !tc.listing && !bytes.Equal(cached, good) {
				t.Fatalf("the cache lost the last good timestamp")
			}
			e.setIntercept(nil)
			st := mustCheck(t, c)
			l, err := c.Listing(ctxT(t), "arp")
			if err != nil || st.TimestampVersion <= first.TimestampVersion || l.Latest().Version.String() != "1.4.1" {
				t.Fatalf("honest server after tampering: %+v, %v, %v; want the new state with arp 1.4.1", st, l, err)
			}
		})
	}
}

func TestUnknownKeyRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	md, err := metadata.Timestamp().FromBytes(e.get(tsPath))
	if err != nil {
		t.Fatalf("parse timestamp: %v", err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := signature.LoadED25519Signer(priv)
	if err != nil {
		t.Fatalf("LoadED25519Signer: %v", err)
	}
	md.Signed.Version++
	md.ClearSignatures()
	if _, err := md.Sign(signer); err != nil {
		t.Fatalf("sign: %v", err)
	}
	forged, _ := md.ToBytes(false)
	e.rewrite(`^/2\.50/metadata/timestamp\.json$`, func([]byte) []byte { return forged })
	_, err = e.client("2.50", "").Check(ctxT(t))
	if !errors.Is(err, &metadata.ErrUnsignedMetadata{}) || !strings.Contains(err.Error(), "not signed by the repository's keys") {
		t.Fatalf("Check with a timestamp signed by an unknown key: %v, want an unsigned-metadata error", err)
	}
}

func TestRollbackRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	old := e.get(tsPath)
	publish(t, e.store, warehouse101)
	c := e.client("2.50", "")
	mustCheck(t, c)
	e.rewrite(`^/2\.50/metadata/timestamp\.json$`, func([]byte) []byte { return old })
	_, err := c.Check(ctxT(t))
	if !errors.Is(err, &metadata.ErrBadVersionNumber{}) || !strings.Contains(err.Error(), "rollback") {
		t.Fatalf("Check served an older timestamp: %v, want a version (rollback) error", err)
	}
}

func TestFreezeRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	later := func(cfg *Config) { cfg.Now = func() time.Time { return time.Now().Add(8 * 24 * time.Hour) } }
	_, err := e.client("2.50", "", later).Check(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("fresh 200 with an expired timestamp: %v, want an expiry error", err)
	}
	cache := t.TempDir()
	mustCheck(t, e.client("2.50", cache))
	c := e.client("2.50", cache, later)
	_, err = c.Check(ctxT(t))
	if s := c.Stats(); err == nil || !strings.Contains(err.Error(), "expired") || s.NotModified != 1 || s.Requests != 1 {
		t.Fatalf("304 with an expired cached timestamp: %v (stats %+v), want an expiry error after one 304", err, s)
	}
	if _, err := c.Listing(ctxT(t), "arp"); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("Listing after a frozen Check: %v, want the expiry error again", err)
	}
}

func TestMixAndMatchRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if rest, ok := strings.CutPrefix(r.URL.Path, "/2.50/"); ok {
			r.URL.Path = "/3.0/" + rest
		}
		return false
	})
	c := e.client("2.50", "")
	_, err := c.Listing(ctxT(t), "arp")
	if err == nil || !containsAll(err.Error(), `"3.0"`, "mixes repositories") {
		t.Fatalf("Listing with 3.0's metadata served as 2.50: %v, want a repository mismatch", err)
	}
	e.setIntercept(nil) // the honest server again: the swap must not have poisoned the cache
	if _, err := c.Listing(ctxT(t), "arp"); err != nil {
		t.Fatalf("Listing from the honest server after a swap: %v", err)
	}
}

func TestFileBaseURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	dir := t.TempDir()
	if _, err := e.store.Export(ctxT(t), dir, repo.ExportOptions{}); err != nil {
		t.Fatalf("Export: %v", err)
	}
	c := e.client("2.50", "", func(cfg *Config) { cfg.BaseURL = "file://" + filepath.ToSlash(dir) })
	if st := mustCheck(t, c); !st.Changed {
		t.Fatalf("cold Check on file:// = %+v, want Changed", st)
	}
	l, err := c.Listing(ctxT(t), "core")
	if err != nil {
		t.Fatalf("Listing core: %v", err)
	}
	dst := filepath.Join(t.TempDir(), "core.zip")
	if err := c.Archive(ctxT(t), l.Latest().Archive, dst); err != nil {
		t.Fatalf("Archive: %v", err)
	}
	c.ResetStats()
	if st := mustCheck(t, c); st.Changed || c.Stats().Requests != 1 {
		t.Fatalf("second Check on file:// = %+v, stats %+v; want unchanged after one read", st, c.Stats())
	}
}

func TestUnknownModuleNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	c := e.client("2.50", "")
	_, err := c.Listing(ctxT(t), "nosuch")
	if !errors.Is(err, ErrNotFound) || !containsAll(err.Error(), `"nosuch"`, `"2.50"`) {
		t.Fatalf("Listing nosuch = %v, want ErrNotFound naming module and repository", err)
	}
	if _, err := c.Listing(ctxT(t), "../evil"); err == nil || errors.Is(err, ErrNotFound) {
		t.Fatalf("Listing ../evil = %v, want an invalid-name error", err)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	good := Config{BaseURL: "http://x", Repository: "2.50", TrustedRoot: e.root, CacheDir: t.TempDir()}
	cases := map[string]func(*Config){
		"repository.url":          func(c *Config) { c.BaseURL = "ftp://x" },
		"repository name":         func(c *Config) { c.Repository = "../x" },
		"repository.trusted_root": func(c *Config) { c.TrustedRoot = []byte(`{"signed":{}}`) },
		"state.dir":               func(c *Config) { c.CacheDir = "" },
		"size cap":                func(c *Config) { c.Limits.Archive = -1 },
	}
	for field, mod := range cases {
		cfg := good
		mod(&cfg)
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("New with a bad %s: %v, want an error naming it", field, err)
		}
	}
	if _, err := New(good); err != nil {
		t.Fatalf("New(good) = %v", err)
	}
}

// TestBytesOnTheWire reports the traffic of the sample catalog with the
// default 256 bins: cold, unchanged and one module changed.
func TestBytesOnTheWire(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 8)
	c := e.client("2.50", "")
	mustCheck(t, c)
	for _, m := range []string{"core", "arp", "localization-es", "reports", "warehouse"} {
		if _, err := c.Listing(ctxT(t), m); err != nil {
			t.Fatalf("Listing %s: %v", m, err)
		}
	}
	cold := c.Stats()
	c.ResetStats()
	mustCheck(t, c)
	same := c.Stats()
	publish(t, e.store, warehouse101)
	c.ResetStats()
	mustCheck(t, c)
	if _, err := c.Listing(ctxT(t), "warehouse"); err != nil {
		t.Fatalf("Listing warehouse: %v", err)
	}
	changed := c.Stats()
	t.Logf("cold (Check + 5 listings): %+v", cold)
	t.Logf("unchanged (304):           %+v", same)
	t.Logf("one module changed:        %+v", changed)
	if same.WireBytes >= 1024 || changed.WireBytes >= cold.WireBytes {
		t.Fatalf("unexpected traffic: unchanged %d, changed %d, cold %d bytes", same.WireBytes, changed.WireBytes, cold.WireBytes)
	}
}

func BenchmarkCheckNotModified(b *testing.B) {
	e := newEnv(b, 4)
	c, err := New(Config{BaseURL: e.srv.URL, Repository: "2.50", TrustedRoot: e.root, CacheDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Check(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if st, err := c.Check(b.Context()); err != nil || st.Changed {
			b.Fatalf("Check = %+v, %v", st, err)
		}
	}
}

func TestDirectoryListsEveryRepository(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	d, err := e.client("2.50", "").Directory(ctxT(t))
	if err != nil {
		t.Fatalf("Directory: %v", err)
	}
	var names []string
	for _, r := range d.Repositories {
		names = append(names, r.Name+":"+r.Kind)
	}
	if got := strings.Join(names, ","); got != "2.50:series,3.0:series" {
		t.Errorf("directory = %s, want 2.50:series,3.0:series", got)
	}
}
