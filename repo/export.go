package repo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/repo/meta"
)

// ExportResult counts what an export wrote.
type ExportResult struct {
	Repositories []string `json:"repositories"`
	Files        int      `json:"files"`
	Bytes        int64    `json:"bytes"`
	// Private lists the private repositories exported (IncludePrivate):
	// a static copy cannot check reader tokens.
	Private []string `json:"private,omitempty"`
	// LeftOut lists the private repositories an export of "all" left out.
	LeftOut []string `json:"left_out,omitempty"`
}

// ExportOptions choose what an export writes.
type ExportOptions struct {
	Repositories   []string // default: every public repository
	MetadataOnly   bool     // leave out the archives (a mirror that carries them separately)
	IncludePrivate bool     // allow private repositories (a copy for a host you hand it to yourself)
}

// Export writes the current signed state of the chosen repositories (every
// public one when none are named) into dir as static files: the same tree
// `serve` answers from, with only the current metadata versions and the
// archives they list. A private repository is refused unless
// IncludePrivate: a static tree serves anyone who can reach it, so only a
// server that checks reader tokens may serve it.
func (s *Store) Export(ctx context.Context, dir string, opt ExportOptions) (*ExportResult, error) {
	tx, err := s.db.BeginTxx(ctx, &sqlTxReadOnly)
	if err != nil {
		return nil, fmt.Errorf("begin export: %w", err)
	}
	defer tx.Rollback()
	res, err := exportChoice(tx, opt)
	if err != nil {
		return nil, err
	}
	blobs, err := currentBlobs(tx, res.Repositories)
	if err != nil {
		return nil, err
	}
	for _, p := range blobs {
		var body []byte
		if err := tx.Get(&body, "SELECT body FROM blobs WHERE path = ?", p); err != nil {
			return nil, fmt.Errorf("export: read %s: %w", p, err)
		}
		if err := writeExported(filepath.Join(dir, filepath.FromSlash(p)), body); err != nil {
			return nil, err
		}
		res.Files++
		res.Bytes += int64(len(body))
	}
	if opt.MetadataOnly {
		return res, nil
	}
	n, size, err := s.exportArchives(tx, dir, res.Repositories)
	res.Files += n
	res.Bytes += size
	return res, err
}

// exportChoice checks the repositories an export names (or picks every
// public one) and says which are private.
func exportChoice(tx *sqlx.Tx, opt ExportOptions) (*ExportResult, error) {
	var all []catalog.RepositoryInfo
	if err := tx.Select(&all, "SELECT name, kind FROM repositories ORDER BY name"); err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	kinds := map[string]string{}
	res := &ExportResult{}
	for _, r := range all {
		kinds[r.Name] = r.Kind
		if len(opt.Repositories) > 0 {
			continue
		}
		if r.Kind == kindPrivate && !opt.IncludePrivate {
			res.LeftOut = append(res.LeftOut, r.Name)
			continue
		}
		res.Repositories = append(res.Repositories, r.Name)
	}
	for _, r := range opt.Repositories {
		switch {
		case kinds[r] == "":
			return nil, errorf(KindNotFound, "no repository %q; see 'upkeep-repo repository list'", clip(r, 64))
		case kinds[r] == kindPrivate && !opt.IncludePrivate:
			return nil, errorf(KindInvalid, "repository %s is private: a static export serves anyone who can reach it, and only a server that checks reader tokens ('upkeep-repo serve') may serve it; add --include-private only for a copy you hand to a subscriber yourself", r)
		}
		res.Repositories = append(res.Repositories, r)
	}
	for _, r := range res.Repositories {
		if kinds[r] == kindPrivate {
			res.Private = append(res.Private, r)
		}
	}
	return res, nil
}

// currentBlobs lists the public paths of the current state: roots, and per
// repository its timestamp, current roles and current targets.
func currentBlobs(tx *sqlx.Tx, repositories []string) ([]string, error) {
	rootV, err := settingIntOn(tx, "root_version")
	if err != nil {
		return nil, err
	}
	paths := []string{meta.RootFile}
	for i := 1; i <= rootV; i++ {
		paths = append(paths, "roots/"+strconv.Itoa(i)+".root.json")
	}
	for _, r := range repositories {
		for i := 1; i <= rootV; i++ {
			paths = append(paths, metaPath(r, strconv.Itoa(i)+".root.json"))
		}
		paths = append(paths, metaPath(r, meta.TimestampFile))
		var roles []roleRow
		if err := tx.Select(&roles, "SELECT role, version, expires FROM tuf_roles WHERE repository = ? AND role != 'timestamp'", r); err != nil {
			return nil, fmt.Errorf("read roles of %s: %w", r, err)
		}
		for _, role := range roles {
			paths = append(paths, versioned(r, role.Version, role.Role))
		}
		var targets []meta.Target
		if err := tx.Select(&targets, "SELECT path, length, sha256 FROM tuf_targets WHERE repository = ?", r); err != nil {
			return nil, fmt.Errorf("read targets of %s: %w", r, err)
		}
		for _, t := range targets {
			paths = append(paths, targetPath(r, t))
		}
	}
	return paths, nil
}

func (s *Store) exportArchives(tx *sqlx.Tx, dir string, repositories []string) (int, int64, error) {
	q, args, err := sqlx.In(`SELECT DISTINCT v.archive_sha256 FROM versions v JOIN placements p ON p.version_id = v.id WHERE p.repository IN (?)`, repositories)
	if err != nil {
		return 0, 0, fmt.Errorf("build archive query: %w", err)
	}
	var archives []string
	if err := tx.Select(&archives, q, args...); err != nil {
		return 0, 0, fmt.Errorf("list archives: %w", err)
	}
	var n int
	var size int64
	for _, a := range archives {
		rel := filepath.Join(archivesDir, a+".zip")
		body, err := os.ReadFile(filepath.Join(s.PublicDir(), rel))
		if err != nil {
			return n, size, fmt.Errorf("export: %w", err)
		}
		if err := writeExported(filepath.Join(dir, rel), body); err != nil {
			return n, size, err
		}
		n++
		size += int64(len(body))
	}
	return n, size, nil
}

func writeExported(path string, body []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("export: create %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		os.Remove(path)
		return fmt.Errorf("export: write %s: %w", path, err)
	}
	return nil
}

// Renew re-signs every role whose signature expires within half its
// lifetime (timestamp, snapshot) or a quarter (targets and bins), so an
// online repository never serves expired metadata. It returns what it renewed.
func (s *Store) Renew(ctx context.Context) ([]string, error) {
	var renewed []string
	err := s.locked(ctx, func() error {
		return s.write(ctx, func(c *change) error {
			repos, err := repositoriesOn(c.tx)
			if err != nil {
				return err
			}
			for _, r := range repos {
				names, err := s.renewRepository(c, r)
				if err != nil {
					return err
				}
				renewed = append(renewed, names...)
			}
			return nil
		})
	})
	return renewed, err
}

func (s *Store) renewRepository(c *change, repository string) ([]string, error) {
	var roles []roleRow
	if err := c.tx.Select(&roles, "SELECT role, version, expires FROM tuf_roles WHERE repository = ?", repository); err != nil {
		return nil, fmt.Errorf("read roles of %s: %w", repository, err)
	}
	now, exp := s.now(), s.signer.Expiry()
	var bins []string
	withTargets, snapshot, timestamp := false, false, false
	for _, role := range roles {
		at, err := time.Parse(time.RFC3339, role.Expires)
		if err != nil {
			return nil, fmt.Errorf("expiry of %s/%s: %w", repository, role.Role, err)
		}
		left := at.Sub(now)
		switch role.Role {
		case "timestamp":
			timestamp = left < exp.Timestamp/2
		case "snapshot":
			snapshot = left < exp.Snapshot/2
		case meta.TargetsRole:
			withTargets = left < exp.Targets/4
		default:
			if left < exp.Targets/4 {
				bins = append(bins, role.Role)
			}
		}
	}
	if withTargets || snapshot || len(bins) > 0 {
		what := fmt.Sprintf("%s: %d bins, targets=%v, snapshot, timestamp", repository, len(bins), withTargets)
		return []string{what}, s.resign(c, repository, bins, withTargets)
	}
	if timestamp {
		return []string{repository + ": timestamp"}, s.renewTimestamp(c, repository)
	}
	return nil, nil
}

func (s *Store) renewTimestamp(c *change, repository string) error {
	var v int64
	if err := c.tx.Get(&v, "SELECT version FROM tuf_roles WHERE repository = ? AND role = 'snapshot'", repository); err != nil {
		return fmt.Errorf("snapshot version of %s: %w", repository, err)
	}
	var snap []byte
	if err := c.tx.Get(&snap, "SELECT body FROM blobs WHERE path = ?", versioned(repository, v, "snapshot")); err != nil {
		return fmt.Errorf("read snapshot of %s: %w", repository, err)
	}
	return s.signTimestamp(c, repository, v, snap, s.now())
}

// Prune deletes signed documents superseded longer ago than keep; clients
// in the middle of an update never need anything older.
func (s *Store) Prune(ctx context.Context, keep time.Duration) (int64, error) {
	cutoff := s.now().Add(-keep).UTC().Format(time.RFC3339Nano)
	res, err := s.db.ExecContext(ctx, "DELETE FROM blobs WHERE superseded_at IS NOT NULL AND superseded_at < ?", cutoff)
	if err != nil {
		return 0, fmt.Errorf("prune superseded metadata: %w", err)
	}
	return res.RowsAffected()
}

func repositoriesOn(q sqlx.Queryer) ([]string, error) {
	var out []string
	if err := sqlx.Select(q, &out, "SELECT name FROM repositories ORDER BY name"); err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	return out, nil
}
