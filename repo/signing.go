package repo

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/platform"
	"github.com/upkeep-erp/upkeep/repo/meta"
)

// change is one write operation: its transaction, the archive files it wrote
// (removed again if it fails), the listings it must rebuild and its
// prepared statements.
type change struct {
	tx       *sqlx.Tx
	written  []string
	dirty    map[string]map[string]bool // repository -> module -> listing must be rebuilt
	newRepos []string                   // repositories created by this change
	stmts    map[string]*sqlx.Stmt
	stamp    string
	modules  map[string]bool // module rows this change has ensured
	// directory is set when the set of repositories changed: every
	// repository then gets a new repositories.json.
	directory bool
	extraBins map[string][]string // repository -> bins changed outside the listings
}

// markAllRepositories asks for a new repositories.json in every repository.
func (c *change) markAllRepositories() error {
	c.directory = true
	var repos []string
	if err := c.tx.Select(&repos, "SELECT name FROM repositories"); err != nil {
		return fmt.Errorf("list repositories: %w", err)
	}
	for _, r := range repos {
		if c.dirty[r] == nil {
			c.dirty[r] = map[string]bool{}
		}
	}
	return nil
}

func newChange(tx *sqlx.Tx, stamp string) *change {
	return &change{tx: tx, dirty: map[string]map[string]bool{}, stmts: map[string]*sqlx.Stmt{}, stamp: stamp,
		modules: map[string]bool{}, extraBins: map[string][]string{}}
}

func (c *change) markDirty(repository, module string) {
	if c.dirty[repository] == nil {
		c.dirty[repository] = map[string]bool{}
	}
	c.dirty[repository][module] = true
}

// stmt returns a statement prepared once per operation.
func (c *change) stmt(query string) (*sqlx.Stmt, error) {
	st, ok := c.stmts[query]
	if !ok {
		var err error
		if st, err = c.tx.Preparex(query); err != nil {
			return nil, fmt.Errorf("prepare: %w", err)
		}
		c.stmts[query] = st
	}
	return st, nil
}

// exec runs a statement prepared once per operation.
func (c *change) exec(query string, args ...any) error {
	st, err := c.stmt(query)
	if err != nil {
		return err
	}
	_, err = st.Exec(args...)
	return err
}

// insert runs a prepared INSERT and returns the new row's id.
func (c *change) insert(query string, args ...any) (int64, error) {
	st, err := c.stmt(query)
	if err != nil {
		return 0, err
	}
	res, err := st.Exec(args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// get runs a one-row query prepared once per operation.
func (c *change) get(dest any, query string, args ...any) error {
	st, err := c.stmt(query)
	if err != nil {
		return err
	}
	return st.Get(dest, args...)
}

func (c *change) close() {
	for _, st := range c.stmts {
		st.Close()
	}
}

// discard removes the archive files a failed operation wrote; nothing refers to them.
func (c *change) discard() {
	for _, p := range c.written {
		os.Remove(p)
	}
}

// writeFile writes an immutable, content-named file (an archive) unless an
// identical one exists. It does not flush: the operation flushes the
// filesystem once before committing, so nothing the database refers to can
// be lost, and a crash before the commit leaves only unreferenced files.
func (c *change) writeFile(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".new-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	c.written = append(c.written, path)
	return nil
}

// flush makes the files written so far durable; call it before committing.
func (s *Store) flush(c *change) error {
	if len(c.written) == 0 {
		return nil
	}
	return platform.SyncFilesystem(s.dir)
}

// ETag is the strong entity tag of a published document.
func ETag(data []byte) string {
	sum := sha256.Sum256(data)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// putBlob stores an immutable signed document at its public path.
func (c *change) putBlob(path string, data []byte) error {
	err := c.exec("INSERT INTO blobs (path, body, etag, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (path) DO NOTHING",
		path, data, ETag(data), c.stamp)
	if err != nil {
		return fmt.Errorf("store %s: %w", path, err)
	}
	return nil
}

// replaceBlob stores a mutable document (timestamp.json, root.json).
func (c *change) replaceBlob(path string, data []byte) error {
	err := c.exec(`INSERT INTO blobs (path, body, etag, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (path) DO UPDATE SET body = excluded.body, etag = excluded.etag, created_at = excluded.created_at`,
		path, data, ETag(data), c.stamp)
	if err != nil {
		return fmt.Errorf("store %s: %w", path, err)
	}
	return nil
}

// supersede marks an older document for pruning.
func (c *change) supersede(path string) error {
	if err := c.exec("UPDATE blobs SET superseded_at = ? WHERE path = ? AND superseded_at IS NULL", c.stamp, path); err != nil {
		return fmt.Errorf("supersede %s: %w", path, err)
	}
	return nil
}

func metaPath(repository, name string) string { return repository + "/metadata/" + name }

func targetPath(repository string, t meta.Target) string {
	return repository + "/targets/" + t.StoredName()
}

func versioned(repository string, version int64, role string) string {
	return metaPath(repository, strconv.FormatInt(version, 10)+"."+role+".json")
}

type roleRow struct {
	Role    string `db:"role"`
	Version int64  `db:"version"`
	Expires string `db:"expires"`
}

func (s *Store) roleVersions(tx *sqlx.Tx, repository string) (map[string]meta.Role, error) {
	var rows []struct {
		Name string `db:"role"`
		meta.Role
	}
	err := tx.Select(&rows, "SELECT role, version, length, sha256 FROM tuf_roles WHERE repository = ? AND role NOT IN ('timestamp', 'snapshot')", repository)
	if err != nil {
		return nil, fmt.Errorf("read role versions of %s: %w", repository, err)
	}
	m := make(map[string]meta.Role, len(rows))
	for _, r := range rows {
		m[r.Name] = r.Role
	}
	return m, nil
}

// setRole records a role's new version, length and hash, and marks the
// previous version superseded.
func (c *change) setRole(repository, role string, version int64, expires time.Time, data []byte) error {
	t := meta.TargetOf("", data)
	err := c.exec(`INSERT INTO tuf_roles (repository, role, version, expires, length, sha256) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (repository, role) DO UPDATE SET version = excluded.version, expires = excluded.expires,
		length = excluded.length, sha256 = excluded.sha256`,
		repository, role, version, expires.UTC().Format(time.RFC3339), t.Length, t.SHA256)
	if err != nil {
		return fmt.Errorf("record %s/%s v%d: %w", repository, role, version, err)
	}
	if version > 1 && role != "timestamp" {
		return c.supersede(versioned(repository, version-1, role))
	}
	return nil
}

// resign re-signs the given bins (and targets.json when withTargets) of a
// repository, then its snapshot and timestamp.
func (s *Store) resign(c *change, repository string, bins []string, withTargets bool) error {
	versions, err := s.roleVersions(c.tx, repository)
	if err != nil {
		return err
	}
	now := s.now()
	if withTargets {
		if err := s.signRole(c, repository, meta.TargetsRole, versions, now, func(v int64) ([]byte, error) {
			return s.signer.Targets(repository, v, now)
		}); err != nil {
			return err
		}
	}
	byBin, err := s.binTargets(c, repository, bins)
	if err != nil {
		return err
	}
	for _, bin := range bins {
		targets := byBin[bin]
		if err := s.signRole(c, repository, bin, versions, now, func(v int64) ([]byte, error) {
			return s.signer.Bin(repository, v, targets, now)
		}); err != nil {
			return err
		}
	}
	return s.signSnapshot(c, repository, versions, now)
}

// binTargets reads the targets of the given bins, grouped by bin: one query
// per bin for a few bins, one pass over the repository for many.
func (s *Store) binTargets(c *change, repository string, bins []string) (map[string][]meta.Target, error) {
	out := make(map[string][]meta.Target, len(bins))
	var rows []struct {
		meta.Target
		Bin string `db:"bin"`
	}
	var err error
	if len(bins) > 8 {
		err = c.tx.Select(&rows, "SELECT path, length, sha256, bin FROM tuf_targets WHERE repository = ? ORDER BY path", repository)
	} else {
		for _, b := range bins {
			err = c.tx.Select(&rows, "SELECT path, length, sha256, bin FROM tuf_targets WHERE repository = ? AND bin = ? ORDER BY path", repository, b)
			if err != nil {
				break
			}
			for _, r := range rows {
				out[b] = append(out[b], r.Target)
			}
		}
		return out, wrapErr(err, "read targets of "+repository)
	}
	for _, r := range rows {
		out[r.Bin] = append(out[r.Bin], r.Target)
	}
	return out, wrapErr(err, "read targets of "+repository)
}

func wrapErr(err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func (s *Store) signRole(c *change, repository, role string, versions map[string]meta.Role, now time.Time, sign func(int64) ([]byte, error)) error {
	v := versions[role].Version + 1
	data, err := sign(v)
	if err != nil {
		return err
	}
	if err := c.putBlob(versioned(repository, v, role), data); err != nil {
		return err
	}
	t := meta.TargetOf("", data)
	versions[role] = meta.Role{Version: v, Length: t.Length, SHA256: t.SHA256}
	return c.setRole(repository, role, v, now.Add(s.signer.Expiry().Targets), data)
}

func (s *Store) signSnapshot(c *change, repository string, versions map[string]meta.Role, now time.Time) error {
	v, err := s.nextVersion(c.tx, repository, "snapshot")
	if err != nil {
		return err
	}
	snap, err := s.signer.Snapshot(repository, v, versions, now)
	if err != nil {
		return err
	}
	if err := c.putBlob(versioned(repository, v, "snapshot"), snap); err != nil {
		return err
	}
	if err := c.setRole(repository, "snapshot", v, now.Add(s.signer.Expiry().Snapshot), snap); err != nil {
		return err
	}
	return s.signTimestamp(c, repository, v, snap, now)
}

func (s *Store) signTimestamp(c *change, repository string, snapVersion int64, snap []byte, now time.Time) error {
	v, err := s.nextVersion(c.tx, repository, "timestamp")
	if err != nil {
		return err
	}
	ts, err := s.signer.Timestamp(repository, v, snapVersion, snap, now)
	if err != nil {
		return err
	}
	if err := c.replaceBlob(metaPath(repository, meta.TimestampFile), ts); err != nil {
		return err
	}
	return c.setRole(repository, "timestamp", v, now.Add(s.signer.Expiry().Timestamp), ts)
}

func (s *Store) nextVersion(tx *sqlx.Tx, repository, role string) (int64, error) {
	var v int64
	err := tx.Get(&v, "SELECT COALESCE(MAX(version), 0) FROM tuf_roles WHERE repository = ? AND role = ?", repository, role)
	if err != nil {
		return 0, fmt.Errorf("read version of %s/%s: %w", repository, role, err)
	}
	return v + 1, nil
}
