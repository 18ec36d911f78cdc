// Package meta builds and signs the TUF metadata of Upkeep's repositories: one shared root, and per repository a targets role delegating to hashed bins, a snapshot and a timestamp.
package meta

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// BinPrefix names the hashed-bin roles: bins-00 … bins-ff.
const BinPrefix = "bins"

// Role file names.
const (
	RootFile      = "root.json"
	TargetsRole   = "targets"
	SnapshotFile  = "snapshot.json"
	TimestampFile = "timestamp.json"
)

// Expiry is how long each role's signature stays valid.
type Expiry struct {
	Root, Targets, Snapshot, Timestamp time.Duration
}

// DefaultExpiry suits an online repository that re-signs daily.
func DefaultExpiry() Expiry {
	day := 24 * time.Hour
	return Expiry{Root: 365 * day, Targets: 365 * day, Snapshot: 30 * day, Timestamp: 7 * day}
}

// Target is one signed file of a repository.
type Target struct {
	Path   string `db:"path"`
	Length int64  `db:"length"`
	SHA256 string `db:"sha256"` // lowercase hex
}

// TargetOf describes data as the target at path.
func TargetOf(path string, data []byte) Target {
	sum := sha256.Sum256(data)
	return Target{Path: path, Length: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
}

// StoredName is where a consistent-snapshot repository keeps target t:
// "<dir>/<sha256>.<base>" relative to the targets folder.
func (t Target) StoredName() string {
	dir, base := splitPath(t.Path)
	if dir == "" {
		return t.SHA256 + "." + base
	}
	return dir + "/" + t.SHA256 + "." + base
}

func splitPath(p string) (dir, base string) {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[:i], p[i+1:]
		}
	}
	return "", p
}

// Bins describes the hashed-bin delegation of a repository with 2^bits bins.
func Bins(bits int) *metadata.SuccinctRoles {
	return &metadata.SuccinctRoles{BitLength: bits, NamePrefix: BinPrefix, Threshold: 1}
}

// BinOf returns the name of the bin that holds path.
func BinOf(path string, bits int) string {
	return Bins(bits).GetRolesForTarget(path)[0].Name
}

// AllBins lists every bin name for 2^bits bins, in order.
func AllBins(bits int) []string {
	return Bins(bits).GetRoles()
}

// KeyID returns the TUF key id of an ed25519 public key.
func KeyID(pub ed25519.PublicKey) (string, error) {
	k, err := metadata.KeyFromPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("metadata.KeyFromPublicKey: %w", err)
	}
	id, err := k.ID()
	if err != nil {
		return "", fmt.Errorf("key.ID: %w", err)
	}
	return id, nil
}

// NewRoot builds and signs root metadata of the given version: the root key
// (kept offline) signs it and owns the root role; the online key owns the
// targets, snapshot and timestamp roles. A rotation passes the previous
// root keys as also: they sign the new root too, so clients that trust the
// previous version accept this one (TUF's chain of roots).
func NewRoot(version int64, rootKey ed25519.PrivateKey, online ed25519.PublicKey, expires time.Time, also ...ed25519.PrivateKey) ([]byte, error) {
	root := metadata.Root(expires.UTC().Truncate(time.Second))
	root.Signed.Version = version
	root.Signed.ConsistentSnapshot = true
	rk, err := metadata.KeyFromPublicKey(rootKey.Public())
	if err != nil {
		return nil, fmt.Errorf("metadata.KeyFromPublicKey: %w", err)
	}
	ok, err := metadata.KeyFromPublicKey(online)
	if err != nil {
		return nil, fmt.Errorf("metadata.KeyFromPublicKey: %w", err)
	}
	if err := root.Signed.AddKey(rk, metadata.ROOT); err != nil {
		return nil, fmt.Errorf("root.AddKey: %w", err)
	}
	for _, role := range []string{metadata.TARGETS, metadata.SNAPSHOT, metadata.TIMESTAMP} {
		if err := root.Signed.AddKey(ok, role); err != nil {
			return nil, fmt.Errorf("root.AddKey %s: %w", role, err)
		}
	}
	for _, k := range append([]ed25519.PrivateKey{rootKey}, also...) {
		signer, err := signature.LoadED25519Signer(k)
		if err != nil {
			return nil, fmt.Errorf("signature.LoadED25519Signer: %w", err)
		}
		if _, err := root.Sign(signer); err != nil {
			return nil, fmt.Errorf("sign root: %w", err)
		}
	}
	return root.ToBytes(false)
}

// RootKeys reads a root's version and the key ids of its root and
// timestamp roles, without checking signatures.
func RootKeys(data []byte) (version int64, rootIDs, onlineIDs []string, err error) {
	var m metadata.Metadata[metadata.RootType]
	r, err := m.FromBytes(data)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read root: %w", err)
	}
	role := func(name string) []string {
		if rl, ok := r.Signed.Roles[name]; ok {
			return rl.KeyIDs
		}
		return nil
	}
	return r.Signed.Version, role(metadata.ROOT), role(metadata.TIMESTAMP), nil
}
