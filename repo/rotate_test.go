package repo

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/upkeep-erp/upkeep/repo/meta"
)

// timestampSigner returns the key id that signed a repository's timestamp.
func timestampSigner(t *testing.T, s *Store, repository string) string {
	t.Helper()
	var body []byte
	if err := s.db.Get(&body, "SELECT body FROM blobs WHERE path = ?", metaPath(repository, meta.TimestampFile)); err != nil {
		t.Fatal(err)
	}
	ts, err := metadata.Timestamp().FromBytes(body)
	if err != nil || len(ts.Signatures) != 1 {
		t.Fatalf("timestamp of %s: %v, %d signatures", repository, err, len(ts.Signatures))
	}
	return ts.Signatures[0].KeyID
}

func TestRotateRoot(t *testing.T) {
	ctx := t.Context()
	s, _ := newTestStore(t)
	publishSample(t, s)
	keys := filepath.Join(s.Dir(), keysDir)
	oldRootKey, oldOnline := readFileT(t, filepath.Join(keys, rootKeyFile)), readFileT(t, filepath.Join(keys, onlineKey))
	saved := filepath.Join(t.TempDir(), "root-v1.key")
	os.WriteFile(saved, oldRootKey, 0o600)

	r, err := s.RotateRoot(ctx, RotateOptions{NewOnlineKey: true}, admin)
	if err != nil {
		t.Fatalf("RotateRoot: %v", err)
	}
	root := readFileT(t, filepath.Join(s.Dir(), meta.RootFile))
	v, rootIDs, onlineIDs, err := meta.RootKeys(root)
	if err != nil || v != 2 || r.Version != 2 || !slices.Equal(r.Repositories, []string{"2.50", "3.0"}) {
		t.Fatalf("after the rotation: root.json v%d (%v), result %+v; want v2 in 2.50 and 3.0", v, err, r)
	}
	if bytes.Equal(readFileT(t, filepath.Join(keys, rootKeyFile)), oldRootKey) || bytes.Equal(readFileT(t, filepath.Join(keys, onlineKey)), oldOnline) {
		t.Fatal("the rotation kept the old root or online key file")
	}
	for _, rep := range r.Repositories {
		if id := timestampSigner(t, s, rep); !slices.Contains(onlineIDs, id) {
			t.Errorf("%s's timestamp is signed by %s, not the new online key %v", rep, id, onlineIDs)
		}
		var n int
		s.db.Get(&n, "SELECT COUNT(*) FROM blobs WHERE path = ?", metaPath(rep, "2.root.json"))
		if n != 1 {
			t.Errorf("%s has no metadata/2.root.json", rep)
		}
	}
	two, err := metadata.Root().FromBytes(root)
	if err != nil || len(two.Signatures) != 2 {
		t.Fatalf("root v2 has %d signatures (%v), want the old and the new root key's", len(two.Signatures), err)
	}

	// The replaced root key is refused; the refusal is audited.
	_, err = s.RotateRoot(ctx, RotateOptions{RootKey: saved}, admin)
	if KindOf(err) != KindInvalid || !strings.Contains(err.Error(), "is not the key of root version 2") {
		t.Fatalf("rotation with the old root key = %v, want it refused", err)
	}
	if _, err := s.RotateRoot(ctx, RotateOptions{}, Actor{Name: "ci", Role: RolePublisher}); KindOf(err) != KindForbidden {
		t.Fatalf("rotation by a publisher = %v, want forbidden", err)
	}
	log, _ := s.Log(ctx, LogFilter{Refused: true})
	if len(log) != 2 || log[0].Action != "rotate-root" || log[1].Actor != "ci" {
		t.Fatalf("refused rotations in the log: %+v", log)
	}

	// Keeping the root key renews the root: v3, one signature, same root key.
	if r, err = s.RotateRoot(ctx, RotateOptions{KeepRootKey: true}, admin); err != nil || r.Version != 3 || r.NewRootKey {
		t.Fatalf("RotateRoot --keep-root-key = %+v, %v", r, err)
	}
	_, rootIDs3, _, _ := meta.RootKeys(readFileT(t, filepath.Join(s.Dir(), meta.RootFile)))
	if !slices.Equal(rootIDs, rootIDs3) {
		t.Fatalf("root key ids changed with --keep-root-key: %v -> %v", rootIDs, rootIDs3)
	}
	mustPublish(t, s, mod("zeta", "1.0.0", "core>=2.50.0"))
}

// TestRotationSeenByAnotherProcess: a server's store signs with the new
// online key once another process rotated it.
func TestRotationSeenByAnotherProcess(t *testing.T) {
	ctx := t.Context()
	s, _ := newTestStore(t)
	publishSample(t, s)
	other, err := Open(s.Dir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.RotateRoot(ctx, RotateOptions{NewOnlineKey: true}, admin); err != nil {
		t.Fatal(err)
	}
	mustPublish(t, s, mod("zeta", "1.0.0", "core>=2.50.0"))
	_, _, onlineIDs, _ := meta.RootKeys(readFileT(t, filepath.Join(s.Dir(), meta.RootFile)))
	if id := timestampSigner(t, s, "2.50"); !slices.Contains(onlineIDs, id) {
		t.Fatalf("the first store signed with %s after the rotation, want the new online key %v", id, onlineIDs)
	}
}

// TestInterruptedRotationHeals: keys a crash left as *.new are put in place
// when the published root names them, and dropped when it does not.
func TestInterruptedRotationHeals(t *testing.T) {
	ctx := t.Context()
	s, _ := newTestStore(t)
	keys := filepath.Join(s.Dir(), keysDir)
	before := readFileT(t, filepath.Join(keys, onlineKey))
	if _, err := s.RotateRoot(ctx, RotateOptions{NewOnlineKey: true}, admin); err != nil {
		t.Fatal(err)
	}
	rotated := readFileT(t, filepath.Join(keys, onlineKey))
	// As if the process died after the commit, before renaming the key.
	os.WriteFile(filepath.Join(keys, pendingOnlineKey), rotated, 0o600)
	os.WriteFile(filepath.Join(keys, onlineKey), before, 0o600)
	// And a stray key of a rotation that never committed.
	os.WriteFile(filepath.Join(keys, pendingRootKey), before, 0o600)
	s.Close()
	s2, err := Open(s.Dir(), Options{})
	if err != nil {
		t.Fatalf("Open after an interrupted rotation: %v", err)
	}
	defer s2.Close()
	if !bytes.Equal(readFileT(t, filepath.Join(keys, onlineKey)), rotated) {
		t.Fatal("the committed rotation's online key was not put in place")
	}
	for _, n := range []string{pendingOnlineKey, pendingRootKey} {
		if _, err := os.Stat(filepath.Join(keys, n)); !os.IsNotExist(err) {
			t.Errorf("%s left behind: %v", n, err)
		}
	}
}
