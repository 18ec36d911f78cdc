package fetch

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/meta"
)

func rotate(t *testing.T, e *env, opt repo.RotateOptions) *repo.Rotated {
	t.Helper()
	r, err := e.store.RotateRoot(ctxT(t), opt, repo.LocalActor("test"))
	if err != nil {
		t.Fatalf("RotateRoot: %v", err)
	}
	return r
}

func cachedRootVersion(t *testing.T, cache string) int64 {
	t.Helper()
	return rootVersion(readFile(t, filepath.Join(cache, "2.50", "metadata", "root.json")))
}

// TestAgentFollowsRootChain: an agent pinned to root v1 follows v1 → v2
// (new root and online keys) → v3 (new root key), and a new agent pinned to
// v1 follows both steps at once; an unchanged repository still costs one
// request answered 304.
func TestAgentFollowsRootChain(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	cache := t.TempDir()
	c := e.client("2.50", cache)
	mustCheck(t, c)
	mustListing(t, c, "arp")

	if r := rotate(t, e, repo.RotateOptions{NewOnlineKey: true}); r.Version != 2 {
		t.Fatalf("first rotation wrote root v%d, want v2", r.Version)
	}
	e.requests()
	if st := mustCheck(t, c); !st.Changed {
		t.Fatalf("Check after the rotation = %+v, want Changed (the timestamp changed)", st)
	}
	if v := cachedRootVersion(t, cache); v != 2 {
		t.Fatalf("cached root after the rotation is v%d, want v2", v)
	}
	if got := e.requests(); count(got, `^/2\.50/metadata/2\.root\.json$`) != 1 || count(got, `^/2\.50/metadata/3\.root\.json$`) != 1 {
		t.Fatalf("requests %v: want 2.root.json fetched and 3.root.json probed", got)
	}
	if l := mustListing(t, c, "arp"); l.Latest().Version.String() != "1.4.0" {
		t.Fatalf("listing after the rotation: %v", l.Latest().Version)
	}
	c.ResetStats()
	if st := mustCheck(t, c); st.Changed || c.Stats().Requests != 1 || c.Stats().NotModified != 1 {
		t.Fatalf("second Check after the rotation = %+v, stats %+v; want one request answered 304", st, c.Stats())
	}

	rotate(t, e, repo.RotateOptions{})
	mustCheck(t, c)
	if v := cachedRootVersion(t, cache); v != 3 {
		t.Fatalf("cached root after the second rotation is v%d, want v3", v)
	}
	mustListing(t, c, "warehouse")

	fresh := t.TempDir()
	n := e.client("2.50", fresh) // pinned to v1, nothing cached
	mustCheck(t, n)
	if v := cachedRootVersion(t, fresh); v != 3 {
		t.Fatalf("a new agent pinned to v1 reached root v%d, want v3", v)
	}
	mustListing(t, n, "arp")
}

// TestRefusesRootSignedOnlyByNewKey: a root v2 that the v1 root key did not
// sign (a thief's own key) is refused, and the agent keeps v1.
func TestRefusesRootSignedOnlyByNewKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	_, thief, _ := ed25519.GenerateKey(rand.Reader)
	forged, err := meta.NewRoot(2, thief, thief.Public().(ed25519.PublicKey), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/2.50/metadata/2.root.json" {
			return false
		}
		w.Write(forged)
		return true
	})
	cache := t.TempDir()
	_, err = e.client("2.50", cache).Check(ctxT(t))
	if !errors.Is(err, &metadata.ErrUnsignedMetadata{}) || !strings.Contains(err.Error(), "not signed by the repository's keys") {
		t.Fatalf("Check with a root v2 signed only by a new key = %v, want it refused as unsigned", err)
	}
	if v := cachedRootVersion(t, cache); v != 1 {
		t.Fatalf("cached root is v%d after the refusal, want v1", v)
	}
}

// TestRefusesRollbackAfterRotation: once an agent has root v2, the
// repository's metadata from before the rotation (signed by the old online
// key) and root v1 served as v3 are refused.
func TestRefusesRollbackAfterRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	oldTS, oldRoot := e.get(tsPath), e.get("/2.50/metadata/1.root.json")
	cache := t.TempDir()
	c := e.client("2.50", cache)
	mustCheck(t, c)
	rotate(t, e, repo.RotateOptions{NewOnlineKey: true})
	mustCheck(t, c)

	serve := func(path string, body []byte) {
		e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != path {
				return false
			}
			w.Write(body)
			return true
		})
	}
	serve(tsPath, oldTS)
	if _, err := c.Check(ctxT(t)); !errors.Is(err, &metadata.ErrRepository{}) {
		t.Fatalf("Check served the timestamp from before the rotation = %v, want it refused", err)
	}
	publish(t, e.store, warehouse101) // a new timestamp: the next Check refreshes and probes 3.root.json
	serve("/2.50/metadata/3.root.json", oldRoot)
	_, err := e.client("2.50", cache).Check(ctxT(t))
	if !errors.Is(err, &metadata.ErrRepository{}) {
		t.Fatalf("Check served root v1 as 3.root.json = %v, want it refused", err)
	}
	if v := cachedRootVersion(t, cache); v != 2 {
		t.Fatalf("cached root is v%d after the rollbacks, want v2", v)
	}
	e.setIntercept(nil)
	mustCheck(t, e.client("2.50", cache))
	mustListing(t, c, "arp")
}

// TestLeakedRootKeyUselessAfterRotation: once an agent follows a rotation
// away from a leaked root key, a root signed with that key alone is refused.
func TestLeakedRootKeyUselessAfterRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	leaked := readKey(t, e, "root.key")
	cache := t.TempDir()
	c := e.client("2.50", cache)
	rotate(t, e, repo.RotateOptions{NewOnlineKey: true})
	mustCheck(t, c)
	_, thief, _ := ed25519.GenerateKey(rand.Reader)
	forged, err := meta.NewRoot(3, thief, thief.Public().(ed25519.PublicKey), time.Now().Add(time.Hour), leaked)
	if err != nil {
		t.Fatal(err)
	}
	publish(t, e.store, warehouse101)
	e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/2.50/metadata/3.root.json" {
			return false
		}
		w.Write(forged)
		return true
	})
	if _, err := c.Check(ctxT(t)); !errors.Is(err, &metadata.ErrUnsignedMetadata{}) {
		t.Fatalf("Check with a root v3 signed by the leaked v1 key = %v, want it refused", err)
	}
	if v := cachedRootVersion(t, cache); v != 2 {
		t.Fatalf("cached root is v%d, want v2", v)
	}
}
