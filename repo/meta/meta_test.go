package meta

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/upkeep-erp/upkeep/catalog"
)

func keys(t *testing.T) (root, online ed25519.PrivateKey) {
	t.Helper()
	_, root, _ = ed25519.GenerateKey(rand.Reader)
	_, online, _ = ed25519.GenerateKey(rand.Reader)
	return root, online
}

func TestSignedRolesVerifyUnderRoot(t *testing.T) {
	rootKey, online := keys(t)
	now := time.Now()
	rootData, err := NewRoot(1, rootKey, online.Public().(ed25519.PublicKey), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	root, err := metadata.Root().FromBytes(rootData)
	if err != nil {
		t.Fatal(err)
	}
	if err := root.VerifyDelegate(metadata.ROOT, root); err != nil {
		t.Fatalf("root does not verify itself: %v", err)
	}
	s, err := NewSigner(online, 4, DefaultExpiry())
	if err != nil {
		t.Fatal(err)
	}
	bin := BinOf("modules/arp.json", 4)
	binData, err := s.Bin("2.50", 1, []Target{TargetOf("modules/arp.json", []byte("{}"))}, now)
	if err != nil {
		t.Fatal(err)
	}
	tgData, err := s.Targets("2.50", 1, now)
	if err != nil {
		t.Fatal(err)
	}
	tg, _ := metadata.Targets().FromBytes(tgData)
	if err := root.VerifyDelegate(metadata.TARGETS, tg); err != nil {
		t.Fatalf("targets does not verify under root: %v", err)
	}
	b, _ := metadata.Targets().FromBytes(binData)
	if err := tg.VerifyDelegate(bin, b); err != nil {
		t.Fatalf("%s does not verify under targets: %v", bin, err)
	}
	snapData, err := s.Snapshot("2.50", 1, map[string]Role{"targets": role(tgData, 1), bin: role(binData, 1)}, now)
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := metadata.Snapshot().FromBytes(snapData)
	if err := snap.Signed.Meta[bin+".json"].VerifyLengthHashes(binData); err != nil {
		t.Errorf("snapshot does not pin the bin by length and hash: %v", err)
	}
	tsData, err := s.Timestamp("2.50", 1, 1, snapData, now)
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := metadata.Timestamp().FromBytes(tsData)
	if err := root.VerifyDelegate(metadata.TIMESTAMP, ts); err != nil {
		t.Fatalf("timestamp does not verify under root: %v", err)
	}
	for name, data := range map[string][]byte{"targets": tgData, "bin": binData, "snapshot": snapData, "timestamp": tsData} {
		if got := signedField(t, data, catalog.RepositoryField); got != "2.50" {
			t.Errorf("%s names repository %q, want 2.50", name, got)
		}
	}
}

func TestTamperedRoleFailsVerification(t *testing.T) {
	rootKey, online := keys(t)
	rootData, _ := NewRoot(1, rootKey, online.Public().(ed25519.PublicKey), time.Now().Add(time.Hour))
	root, _ := metadata.Root().FromBytes(rootData)
	s, _ := NewSigner(online, 4, DefaultExpiry())
	tsData, _ := s.Timestamp("2.50", 1, 1, []byte("snapshot"), time.Now())
	forged := strings.Replace(string(tsData), `"2.50"`, `"3.0"`, 1)
	ts, err := metadata.Timestamp().FromBytes([]byte(forged))
	if err != nil {
		t.Fatal(err)
	}
	if err := root.VerifyDelegate(metadata.TIMESTAMP, ts); err == nil {
		t.Error("a timestamp whose repository field was changed still verifies")
	}
}

func TestBinsCoverEveryPath(t *testing.T) {
	bins := AllBins(4)
	if len(bins) != 16 || bins[0] != "bins-0" || bins[15] != "bins-f" {
		t.Fatalf("AllBins(4) = %v", bins)
	}
	seen := map[string]bool{}
	for _, b := range bins {
		seen[b] = true
	}
	for _, m := range []string{"core", "arp", "localization-es", "m00042"} {
		if b := BinOf("modules/"+m+".json", 4); !seen[b] {
			t.Errorf("BinOf(%s) = %s, not a bin", m, b)
		}
	}
	if _, err := NewSigner(ed25519.NewKeyFromSeed(make([]byte, 32)), 0, DefaultExpiry()); err == nil {
		t.Error("NewSigner accepted 0 bin bits")
	}
}

func TestStoredNameIsContentAddressed(t *testing.T) {
	tg := TargetOf("modules/arp.json", []byte("x"))
	if got := tg.StoredName(); got != "modules/"+tg.SHA256+".arp.json" {
		t.Errorf("StoredName = %s", got)
	}
}

func role(data []byte, v int64) Role {
	t := TargetOf("", data)
	return Role{Version: v, Length: t.Length, SHA256: t.SHA256}
}

func signedField(t *testing.T, data []byte, field string) string {
	t.Helper()
	var doc struct {
		Signed map[string]any `json:"signed"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	s, _ := doc.Signed[field].(string)
	return s
}
