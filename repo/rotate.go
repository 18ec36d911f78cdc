package repo

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/upkeep-erp/upkeep/platform"
	"github.com/upkeep-erp/upkeep/repo/meta"
)

// RotateOptions say what a root rotation replaces.
type RotateOptions struct {
	RootKey      string // the current root key's file; default keys/root.key
	KeepRootKey  bool   // sign the new root with the current root key only (renews the root's expiry)
	NewOnlineKey bool   // also replace the online key and re-sign every repository with it
}

// Rotated reports a rotation.
type Rotated struct {
	Version      int64    `json:"root_version"`
	RootPath     string   `json:"root_path"`     // the new trusted root, for new agents
	RootKeyPath  string   `json:"root_key_path"` // the root key that signs the next rotation
	NewRootKey   bool     `json:"new_root_key"`
	NewOnlineKey bool     `json:"new_online_key"`
	Repositories []string `json:"repositories"` // the repositories whose metadata now carries the new root
}

// Key files written before a rotation commits; Open finishes or drops them.
const (
	pendingRootKey   = rootKeyFile + ".new"
	pendingOnlineKey = onlineKey + ".new"
)

// RotateRoot writes root version N+1, signed by the current root key and
// the new one, with a new root key (unless KeepRootKey) and a new online key
// (with NewOnlineKey, every repository is then re-signed with it). Agents
// that trust any earlier root follow the chain. Every repository's
// timestamp changes, so no agent's "nothing changed" answer hides it. The
// attempt is audited.
func (s *Store) RotateRoot(ctx context.Context, opt RotateOptions, by Actor) (*Rotated, error) {
	var out *Rotated
	at := Attempt{Actor: by, Action: "rotate-root", Detail: opt.describe()}
	err := s.attempt(ctx, at, func(*Attempt) error {
		if err := by.requireAdmin("rotating the root"); err != nil {
			return err
		}
		return s.locked(ctx, func() error {
			var err error
			out, err = s.rotateLocked(ctx, opt, by)
			return err
		})
	})
	return out, err
}

func (o RotateOptions) describe() string {
	what := []string{"new root key"}
	if o.KeepRootKey {
		what = []string{"same root key"}
	}
	if o.NewOnlineKey {
		what = append(what, "new online key")
	}
	return strings.Join(what, ", ")
}

func (s *Store) rotateLocked(ctx context.Context, opt RotateOptions, by Actor) (*Rotated, error) {
	cur, err := s.currentRoot()
	if err != nil {
		return nil, err
	}
	oldKey, err := s.checkRootKey(opt.RootKey, cur)
	if err != nil {
		return nil, err
	}
	keys, err := s.pendingKeys(opt, oldKey)
	if err != nil {
		return nil, err
	}
	next := cur.version + 1
	var also []ed25519.PrivateKey
	if !opt.KeepRootKey {
		also = append(also, oldKey)
	}
	root, err := meta.NewRoot(next, keys.root, keys.online.Public().(ed25519.PublicKey), s.now().Add(s.signer.Expiry().Root), also...)
	if err != nil {
		s.dropPendingKeys()
		return nil, err
	}
	out, err := s.commitRoot(ctx, root, next, keys, opt, by)
	if err != nil {
		s.dropPendingKeys()
		return nil, err
	}
	if err := s.finishKeys(); err != nil {
		return nil, err
	}
	return out, nil
}

// rootInfo is the current root as the store serves it.
type rootInfo struct {
	version            int64
	rootIDs, onlineIDs []string
}

func (s *Store) currentRoot() (rootInfo, error) {
	var data []byte
	if err := s.db.Get(&data, "SELECT body FROM blobs WHERE path = ?", meta.RootFile); err != nil {
		return rootInfo{}, fmt.Errorf("read the current root: %w", err)
	}
	v, rootIDs, onlineIDs, err := meta.RootKeys(data)
	if err != nil {
		return rootInfo{}, err
	}
	return rootInfo{version: v, rootIDs: rootIDs, onlineIDs: onlineIDs}, nil
}

// checkRootKey reads the current root key (path, default keys/root.key) and
// refuses one the current root does not name.
func (s *Store) checkRootKey(path string, cur rootInfo) (ed25519.PrivateKey, error) {
	if path == "" {
		path = filepath.Join(s.dir, keysDir, rootKeyFile)
	}
	key, err := readKey(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, errorf(KindInvalid, "no root key at %s: give the offline root key's file with --root-key", path)
	}
	if err != nil {
		return nil, wrapKind(KindInvalid, err, "the root key")
	}
	id, err := meta.KeyID(key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	if !slices.Contains(cur.rootIDs, id) {
		return nil, errorf(KindInvalid, "%s is not the key of root version %d (its id %s is not among the root's keys): give the current root key with --root-key", path, cur.version, id[:12])
	}
	return key, nil
}

// rotationKeys are the keys of the new root.
type rotationKeys struct {
	root, online ed25519.PrivateKey
	newRoot      bool
	newOnline    bool
}

// pendingKeys makes the new keys, written beside the current ones as
// *.new until the rotation commits.
func (s *Store) pendingKeys(opt RotateOptions, oldRoot ed25519.PrivateKey) (rotationKeys, error) {
	k := rotationKeys{root: oldRoot, online: nil, newRoot: !opt.KeepRootKey, newOnline: opt.NewOnlineKey}
	var err error
	if k.newRoot {
		if k.root, err = newKey(filepath.Join(s.dir, keysDir, pendingRootKey)); err != nil {
			return k, err
		}
	}
	if k.newOnline {
		k.online, err = newKey(filepath.Join(s.dir, keysDir, pendingOnlineKey))
	} else {
		k.online, err = readKey(filepath.Join(s.dir, keysDir, onlineKey))
	}
	if err != nil {
		s.dropPendingKeys()
	}
	return k, err
}

// commitRoot stores root N+1 everywhere clients look for it and, in the
// same transaction, re-signs with the new online key or renews every
// repository's timestamp.
func (s *Store) commitRoot(ctx context.Context, root []byte, next int64, keys rotationKeys, opt RotateOptions, by Actor) (*Rotated, error) {
	oldSigner := s.signer
	if keys.newOnline {
		signer, err := meta.NewSigner(keys.online, oldSigner.Bits(), oldSigner.Expiry())
		if err != nil {
			return nil, err
		}
		s.signer = signer
	}
	var repos []string
	err := s.write(ctx, func(c *change) error {
		var err error
		if repos, err = s.storeRoot(c, root, next); err != nil {
			return err
		}
		if keys.newOnline {
			if err := s.resignAll(c, repos); err != nil {
				return err
			}
		} else {
			for _, r := range repos {
				if err := s.renewTimestamp(c, r); err != nil {
					return err
				}
			}
		}
		return s.audit(c, by, "rotate-root", "", "", fmt.Sprintf("root version %d: %s", next, opt.describe()))
	})
	if err != nil {
		s.signer = oldSigner
		return nil, err
	}
	rootPath := filepath.Join(s.dir, meta.RootFile)
	if err := platform.WriteFileAtomic(rootPath, root, 0o644); err != nil {
		return nil, fmt.Errorf("root version %d is published, but %s could not be written (%w): write it from 'roots/%d.root.json' of the served tree", next, rootPath, err, next)
	}
	keyPath := filepath.Join(s.dir, keysDir, rootKeyFile)
	if !keys.newRoot && opt.RootKey != "" {
		keyPath = opt.RootKey
	}
	return &Rotated{Version: next, RootPath: rootPath, RootKeyPath: keyPath,
		NewRootKey: keys.newRoot, NewOnlineKey: keys.newOnline, Repositories: repos}, nil
}

// storeRoot writes root N+1 as roots/N+1.root.json, root.json and every
// repository's metadata/N+1.root.json, and records the version.
func (s *Store) storeRoot(c *change, root []byte, next int64) ([]string, error) {
	name := strconv.FormatInt(next, 10) + ".root.json"
	if err := c.putBlob("roots/"+name, root); err != nil {
		return nil, err
	}
	if err := c.replaceBlob(meta.RootFile, root); err != nil {
		return nil, err
	}
	if err := c.exec("UPDATE settings SET value = ? WHERE key = 'root_version'", strconv.FormatInt(next, 10)); err != nil {
		return nil, fmt.Errorf("record root version %d: %w", next, err)
	}
	repos, err := repositoriesOn(c.tx)
	if err != nil {
		return nil, err
	}
	for _, r := range repos {
		if err := c.putBlob(metaPath(r, name), root); err != nil {
			return nil, err
		}
	}
	return repos, nil
}

// resignAll re-signs every role of every repository with the store's
// current signer.
func (s *Store) resignAll(c *change, repos []string) error {
	for _, r := range repos {
		c.dirty[r] = map[string]bool{}
	}
	c.newRepos = repos
	return s.rebuildAll(c)
}

// finishKeys moves the committed rotation's new keys in place.
func (s *Store) finishKeys() error {
	for _, names := range [][2]string{{pendingRootKey, rootKeyFile}, {pendingOnlineKey, onlineKey}} {
		from, to := filepath.Join(s.dir, keysDir, names[0]), filepath.Join(s.dir, keysDir, names[1])
		if _, err := os.Stat(from); err != nil {
			continue
		}
		if err := os.Rename(from, to); err != nil {
			return fmt.Errorf("the new root is published, but %s could not replace %s (%w): rename it by hand", from, to, err)
		}
	}
	return platform.SyncDir(filepath.Join(s.dir, keysDir))
}

// publishedKey reports whether the key at path is one of ids.
func (s *Store) publishedKey(path string, ids []string) bool {
	key, err := readKey(path)
	if err != nil {
		return false
	}
	id, err := meta.KeyID(key.Public().(ed25519.PublicKey))
	return err == nil && slices.Contains(ids, id)
}

func (s *Store) dropPendingKeys() {
	os.Remove(filepath.Join(s.dir, keysDir, pendingRootKey))
	os.Remove(filepath.Join(s.dir, keysDir, pendingOnlineKey))
}

// healKeys finishes a rotation a crash interrupted between its commit and
// the renaming of its keys, or drops the keys of one that never committed:
// a pending key is kept exactly when the published root names it.
func (s *Store) healKeys() error {
	pending := false
	for _, n := range []string{pendingRootKey, pendingOnlineKey} {
		if _, err := os.Stat(filepath.Join(s.dir, keysDir, n)); err == nil {
			pending = true
		}
	}
	if !pending {
		return nil
	}
	cur, err := s.currentRoot()
	if err != nil {
		return err
	}
	for _, k := range []struct {
		name string
		ids  []string
	}{{pendingRootKey, cur.rootIDs}, {pendingOnlineKey, cur.onlineIDs}} {
		path := filepath.Join(s.dir, keysDir, k.name)
		if !s.publishedKey(path, k.ids) {
			os.Remove(path)
		}
	}
	return s.finishKeys()
}
