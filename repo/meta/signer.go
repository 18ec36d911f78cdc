package meta

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/upkeep-erp/upkeep/catalog"
)

// Signer signs the frequently re-signed roles with the online key.
type Signer struct {
	signer signature.Signer
	key    *metadata.Key
	keyID  string
	bits   int
	expiry Expiry
}

// NewSigner returns a signer for repositories with 2^bits bins.
func NewSigner(online ed25519.PrivateKey, bits int, expiry Expiry) (*Signer, error) {
	if bits < 1 || bits > 16 {
		return nil, fmt.Errorf("bin bits %d out of range 1..16", bits)
	}
	s, err := signature.LoadED25519Signer(online)
	if err != nil {
		return nil, fmt.Errorf("signature.LoadED25519Signer: %w", err)
	}
	key, err := metadata.KeyFromPublicKey(online.Public())
	if err != nil {
		return nil, fmt.Errorf("metadata.KeyFromPublicKey: %w", err)
	}
	id, err := key.ID()
	if err != nil {
		return nil, fmt.Errorf("key.ID: %w", err)
	}
	return &Signer{signer: s, key: key, keyID: id, bits: bits, expiry: expiry}, nil
}

// Bits is the number of hash bits that pick a bin.
func (s *Signer) Bits() int { return s.bits }

// Expiry is the signer's validity periods.
func (s *Signer) Expiry() Expiry { return s.expiry }

func expires(now time.Time, d time.Duration) time.Time {
	return now.Add(d).UTC().Truncate(time.Second)
}

// bind names the repository in a role's signed part (see catalog.RepositoryField).
func bind(repository string) map[string]any {
	return map[string]any{catalog.RepositoryField: repository}
}

// Role pins a signed role in the snapshot by version, length and hash.
type Role struct {
	Version int64  `db:"version"`
	Length  int64  `db:"length"`
	SHA256  string `db:"sha256"`
}

func sign[T metadata.Roles](s *Signer, m *metadata.Metadata[T]) ([]byte, error) {
	if _, err := m.Sign(s.signer); err != nil {
		return nil, fmt.Errorf("sign metadata: %w", err)
	}
	data, err := m.ToBytes(false)
	if err != nil {
		return nil, fmt.Errorf("metadata.ToBytes: %w", err)
	}
	return data, nil
}

// Targets signs the top-level targets role, which holds no targets itself and
// delegates every path to the hashed bins.
func (s *Signer) Targets(repository string, version int64, now time.Time) ([]byte, error) {
	t := metadata.Targets(expires(now, s.expiry.Targets))
	t.Signed.Version = version
	t.Signed.UnrecognizedFields = bind(repository)
	bins := Bins(s.bits)
	bins.KeyIDs = []string{s.keyID}
	t.Signed.Delegations = &metadata.Delegations{
		Keys:          map[string]*metadata.Key{s.keyID: s.key},
		SuccinctRoles: bins,
	}
	return sign(s, t)
}

// Bin signs one hashed bin holding targets.
func (s *Signer) Bin(repository string, version int64, targets []Target, now time.Time) ([]byte, error) {
	t := metadata.Targets(expires(now, s.expiry.Targets))
	t.Signed.Version = version
	t.Signed.UnrecognizedFields = bind(repository)
	for _, tg := range targets {
		sum, err := hex.DecodeString(tg.SHA256)
		if err != nil {
			return nil, fmt.Errorf("target %s: bad sha256: %w", tg.Path, err)
		}
		tf := metadata.TargetFile()
		tf.Length = tg.Length
		tf.Hashes = metadata.Hashes{"sha256": sum}
		tf.Path = tg.Path
		t.Signed.Targets[tg.Path] = tf
	}
	return sign(s, t)
}

// Snapshot signs the snapshot: targets.json and every bin, each pinned by
// version, length and hash, so a bin of another repository with the same
// version number cannot be substituted.
func (s *Signer) Snapshot(repository string, version int64, roles map[string]Role, now time.Time) ([]byte, error) {
	m := metadata.Snapshot(expires(now, s.expiry.Snapshot))
	m.Signed.Version = version
	m.Signed.UnrecognizedFields = bind(repository)
	m.Signed.Meta = make(map[string]*metadata.MetaFiles, len(roles))
	for name, r := range roles {
		mf := metadata.MetaFile(r.Version)
		sum, err := hex.DecodeString(r.SHA256)
		if err != nil || len(sum) != 32 {
			return nil, fmt.Errorf("snapshot of %s: role %s has no valid sha256", repository, name)
		}
		mf.Length, mf.Hashes = r.Length, metadata.Hashes{"sha256": sum}
		m.Signed.Meta[name+".json"] = mf
	}
	return sign(s, m)
}

// Timestamp signs the timestamp, pinning the snapshot by version, length and hash.
func (s *Signer) Timestamp(repository string, version, snapshotVersion int64, snapshot []byte, now time.Time) ([]byte, error) {
	m := metadata.Timestamp(expires(now, s.expiry.Timestamp))
	m.Signed.Version = version
	m.Signed.UnrecognizedFields = bind(repository)
	sf := metadata.MetaFile(snapshotVersion)
	t := TargetOf("", snapshot)
	sum, _ := hex.DecodeString(t.SHA256)
	sf.Length = t.Length
	sf.Hashes = metadata.Hashes{"sha256": sum}
	m.Signed.Meta = map[string]*metadata.MetaFiles{SnapshotFile: sf}
	return sign(s, m)
}
