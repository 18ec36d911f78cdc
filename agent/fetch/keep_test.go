package fetch

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestUnchangedRepositoryKeepsVerifiedState: while the repository is
// unchanged, a client's Check keeps the state it verified last time instead
// of reading and verifying the cached metadata again. Garbage written over
// the cached snapshot and targets shows it: re-verifying them would fail
// and download them again.
func TestUnchangedRepositoryKeepsVerifiedState(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	cache := t.TempDir()
	c := e.client("2.50", cache)
	first := mustCheck(t, c)
	mustListing(t, c, "arp")
	meta := filepath.Join(cache, "2.50", "metadata")
	for _, f := range []string{"snapshot.json", "targets.json"} {
		if err := os.WriteFile(filepath.Join(meta, f), []byte("garbage"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	e.requests()
	st := mustCheck(t, c)
	if st.Changed || st.TimestampVersion != first.TimestampVersion {
		t.Fatalf("second Check = %+v, want unchanged at version %d", st, first.TimestampVersion)
	}
	if got := e.requests(); len(got) != 1 || got[0] != tsPath {
		t.Fatalf("second Check requested %v, want only %s: the verified state was not kept", got, tsPath)
	}
	if l := mustListing(t, c, "arp"); l.Latest().Version.String() != "1.4.0" {
		t.Fatalf("Listing arp from the kept state: latest %s, want 1.4.0", l.Latest().Version)
	}
	if data := readFile(t, filepath.Join(meta, "snapshot.json")); string(data) != "garbage" {
		t.Fatalf("the kept state rewrote the cached snapshot")
	}
}

// TestKeptStateFollowsTheRepository: a client that keeps its verified state
// still sees a new timestamp, whether it downloads it itself or another
// client sharing the cache (another process) already did.
func TestKeptStateFollowsTheRepository(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	cache := t.TempDir()
	a := e.client("2.50", cache)
	old := mustCheck(t, a)
	mustListing(t, a, "warehouse")
	publish(t, e.store, warehouse101)
	b := e.client("2.50", cache)
	now := mustCheck(t, b)
	if now.TimestampVersion <= old.TimestampVersion {
		t.Fatalf("Check after publishing: version %d, want more than %d", now.TimestampVersion, old.TimestampVersion)
	}
	mustListing(t, b, "warehouse")
	st := mustCheck(t, a) // the server answers 304 to the ETag b saved
	if st.TimestampVersion != now.TimestampVersion {
		t.Fatalf("Check after another client refreshed the cache: version %d, want %d", st.TimestampVersion, now.TimestampVersion)
	}
	if l := mustListing(t, a, "warehouse"); l.Latest().Version.String() != "1.0.1" {
		t.Fatalf("Listing warehouse after another client refreshed the cache: latest %s, want 1.0.1", l.Latest().Version)
	}
	publish(t, e.store, sampleArp141)
	if st := mustCheck(t, a); !st.Changed || st.TimestampVersion <= now.TimestampVersion {
		t.Fatalf("Check after publishing again = %+v, want Changed past version %d", st, now.TimestampVersion)
	}
	if l := mustListing(t, a, "arp"); l.Latest().Version.String() != "1.4.1" {
		t.Fatalf("Listing arp after publishing 1.4.1: latest %s", l.Latest().Version)
	}
}

// TestKeptStateExpires: the kept state is checked for expiry at every Check.
func TestKeptStateExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	var ahead atomic.Int64
	c := e.client("2.50", "", func(cfg *Config) {
		cfg.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	})
	mustCheck(t, c)
	mustListing(t, c, "arp")
	ahead.Store(int64(8 * 24 * time.Hour))
	_, err := c.Check(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("Check of an unchanged repository whose timestamp expired: %v, want an expiry error", err)
	}
	ahead.Store(0)
	if st := mustCheck(t, c); st.Changed {
		t.Fatalf("Check with the clock back = %+v, want unchanged", st)
	}
}
