package fetch

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/repo/meta"
)

func TestDamagedCacheRepairedOnNextCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	cache := t.TempDir()
	c := e.client("2.50", cache)
	mustCheck(t, c)
	if err := os.Remove(filepath.Join(cache, "2.50", "metadata", "snapshot.json")); err != nil {
		t.Fatal(err)
	}
	// The client that verified the cache keeps its state while the
	// repository is unchanged (see TestUnchangedRepositoryKeepsVerifiedState);
	// the next one to read the cache, say after a restart, repairs it.
	c = e.client("2.50", cache)
	if st := mustCheck(t, c); !st.Changed {
		t.Fatalf("Check over a damaged cache = %+v, want a full refresh", st)
	}
	if s := c.Stats(); s.NotModified != 1 {
		t.Fatalf("stats %+v: want the 304 first, then the repair", s)
	}
	if _, err := c.Listing(ctxT(t), "arp"); err != nil {
		t.Fatalf("Listing after the repair: %v", err)
	}
}

// TestRootRotationKeepsNewestRoot rotates the root to version 2 and checks
// that a client configured with version 1 keeps using the cached version 2.
func TestRootRotationKeepsNewestRoot(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	root2 := newRoot(t, e, 2)
	e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/2.50/metadata/2.root.json" {
			return false
		}
		w.Write(root2)
		return true
	})
	cache := t.TempDir()
	mustCheck(t, e.client("2.50", cache))
	cached := filepath.Join(cache, "2.50", "metadata", "root.json")
	if v := rootVersion(readFile(t, cached)); v != 2 {
		t.Fatalf("cached root after the rotation is v%d, want v2", v)
	}
	c := e.client("2.50", cache) // still configured with root v1
	mustCheck(t, c)
	if _, err := c.Listing(ctxT(t), "arp"); err != nil {
		t.Fatalf("Listing: %v", err)
	}
	if v := rootVersion(readFile(t, cached)); v != 2 {
		t.Fatalf("a client configured with root v1 replaced the cached v2 by v%d", v)
	}
}

// newRoot signs root metadata of version v with the repository's root key.
func newRoot(t *testing.T, e *env, v int64) []byte {
	t.Helper()
	rootKey, online := readKey(t, e, "root.key"), readKey(t, e, "online.key")
	data, err := meta.NewRoot(v, rootKey, online.Public().(ed25519.PublicKey), time.Now().Add(365*24*time.Hour))
	if err != nil {
		t.Fatalf("meta.NewRoot: %v", err)
	}
	return data
}

func readKey(t *testing.T, e *env, name string) ed25519.PrivateKey {
	t.Helper()
	block, _ := pem.Decode(readFile(t, filepath.Join(e.store.Dir(), "keys", name)))
	if block == nil {
		t.Fatalf("key %s is not PEM", name)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("parse key %s: %v", name, err)
	}
	return k.(ed25519.PrivateKey)
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
