package repo

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/upkeep-erp/upkeep/platform"
	"github.com/upkeep-erp/upkeep/repo/meta"
)

// InitOptions shape a new repository; the zero value picks the defaults.
type InitOptions struct {
	BinBits int         // 2^BinBits hashed bins per repository (default 8)
	Expiry  meta.Expiry // signature validity (default meta.DefaultExpiry)
	Store   Options
}

// InitResult is what an admin must see once, right after init.
type InitResult struct {
	AdminToken  string // shown once; only its hash is stored
	RootPath    string // the trusted root metadata to give every agent
	RootSHA256  string
	RootKeyPath string // the offline root key: move it off this host
}

// Init creates a repository in dir: keys, database, root metadata and the
// first admin token.
func Init(dir string, opt InitOptions) (*InitResult, error) {
	if _, err := os.Stat(filepath.Join(dir, dbFile)); err == nil {
		return nil, fmt.Errorf("%s already holds a repository; choose an empty directory", dir)
	}
	if opt.BinBits == 0 {
		opt.BinBits = 8
	}
	if opt.Expiry == (meta.Expiry{}) {
		opt.Expiry = meta.DefaultExpiry()
	}
	for _, d := range []string{keysDir, publicDir, filepath.Join(publicDir, archivesDir)} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("create %s: %w", d, err)
		}
	}
	if err := os.Chmod(filepath.Join(dir, keysDir), 0o700); err != nil {
		return nil, fmt.Errorf("chmod keys: %w", err)
	}
	return initStore(dir, opt)
}

func initStore(dir string, opt InitOptions) (*InitResult, error) {
	s, err := openDB(dir, opt.Store)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	rootKey, err := newKey(filepath.Join(dir, keysDir, rootKeyFile))
	if err != nil {
		return nil, err
	}
	online, err := newKey(filepath.Join(dir, keysDir, onlineKey))
	if err != nil {
		return nil, err
	}
	root, err := meta.NewRoot(1, rootKey, online.Public().(ed25519.PublicKey), s.now().Add(opt.Expiry.Root))
	if err != nil {
		return nil, err
	}
	rootPath := filepath.Join(dir, meta.RootFile)
	if err := platform.WriteFileAtomic(rootPath, root, 0o644); err != nil {
		return nil, err
	}
	if err := s.saveSettings(opt); err != nil {
		return nil, err
	}
	if err := s.write(context.Background(), func(c *change) error {
		if err := c.putBlob("roots/1.root.json", root); err != nil {
			return err
		}
		return c.replaceBlob(meta.RootFile, root)
	}); err != nil {
		return nil, err
	}
	token, err := s.AddToken(context.Background(), TokenSpec{Name: "admin", Role: RoleAdmin}, LocalActor("init"))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(root)
	return &InitResult{AdminToken: token, RootPath: rootPath, RootSHA256: hex.EncodeToString(sum[:]),
		RootKeyPath: filepath.Join(dir, keysDir, rootKeyFile)}, nil
}

func (s *Store) saveSettings(opt InitOptions) error {
	settings := map[string]string{
		"bin_bits":         strconv.Itoa(opt.BinBits),
		"root_version":     "1",
		"expiry_root":      opt.Expiry.Root.String(),
		"expiry_targets":   opt.Expiry.Targets.String(),
		"expiry_snapshot":  opt.Expiry.Snapshot.String(),
		"expiry_timestamp": opt.Expiry.Timestamp.String(),
	}
	for k, v := range settings {
		if _, err := s.db.Exec("INSERT INTO settings (key, value) VALUES (?, ?)", k, v); err != nil {
			return fmt.Errorf("save setting %s: %w", k, err)
		}
	}
	return nil
}
