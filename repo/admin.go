package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mattn/go-sqlite3"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/platform"
)

// SetMaturity changes a published version's maturity and re-signs its listings.
func (s *Store) SetMaturity(ctx context.Context, module, version string, level catalog.Maturity, actor Actor) error {
	at := Attempt{Actor: actor, Action: "maturity", Module: module, Version: version, Detail: "to " + level.String()}
	return s.attempt(ctx, at, func(*Attempt) error {
		if !actor.CanPublish(module) {
			return errorf(KindForbidden, "%s may not change %s; ask an admin", actor.Name, clip(module, 100))
		}
		return s.locked(ctx, func() error {
			return s.write(ctx, func(c *change) error { return s.setMaturity(c, module, version, level, actor) })
		})
	})
}

func (s *Store) setMaturity(c *change, module, version string, level catalog.Maturity, actor Actor) error {
	src, err := s.loadRelease(c.tx, module, version)
	if err != nil {
		return err
	}
	old := src.Release.Maturity
	src.Release.Maturity = level
	body, err := json.Marshal(src.Release)
	if err != nil {
		return fmt.Errorf("encode release: %w", err)
	}
	if _, err := c.tx.Exec("UPDATE versions SET release_json = ? WHERE module = ? AND sort_key = ?", string(body), module, src.Release.Version.SortKey()); err != nil {
		return fmt.Errorf("update maturity: %w", err)
	}
	if err := s.markModule(c, module); err != nil {
		return err
	}
	return s.audit(c, actor, "maturity", module, src.Release.Version.String(), fmt.Sprintf("%s -> %s", old, level))
}

// SetDefaultUpgrade sets a module's default-upgrade flag and re-signs its listings.
func (s *Store) SetDefaultUpgrade(ctx context.Context, module string, on bool, actor Actor) error {
	at := Attempt{Actor: actor, Action: "default-upgrade", Module: module, Detail: fmt.Sprintf("default_upgrade = %v", on)}
	return s.attempt(ctx, at, func(*Attempt) error {
		if err := actor.requireAdmin("default-upgrade"); err != nil {
			return err
		}
		return s.locked(ctx, func() error {
			return s.write(ctx, func(c *change) error {
				res, err := c.tx.Exec("UPDATE modules SET default_upgrade = ? WHERE name = ?", on, module)
				if err != nil {
					return fmt.Errorf("update default_upgrade: %w", err)
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return errorf(KindNotFound, "module %s is not published; see 'upkeep-repo list'", clip(module, 100))
				}
				if err := s.markModule(c, module); err != nil {
					return err
				}
				return s.audit(c, actor, "default-upgrade", module, "", fmt.Sprintf("default_upgrade = %v", on))
			})
		})
	})
}

// markModule marks a module's listing dirty in every repository holding it.
func (s *Store) markModule(c *change, module string) error {
	var repos []string
	err := c.tx.Select(&repos, `SELECT DISTINCT p.repository FROM placements p JOIN versions v ON v.id = p.version_id WHERE v.module = ?`, module)
	if err != nil {
		return fmt.Errorf("repositories of %s: %w", module, err)
	}
	for _, r := range repos {
		c.markDirty(r, module)
	}
	return nil
}

// write runs fn in one transaction, rebuilds and re-signs the listings it
// marked, flushes the archive files it wrote and commits: readers see the
// whole change or none of it, and on error nothing is left behind.
func (s *Store) write(ctx context.Context, fn func(*change) error) error {
	return s.diskFull(s.writeTx(ctx, fn))
}

// diskFull turns a full disk, seen by the filesystem or by SQLite, into an
// error that says so and what to do; the operation has left nothing behind.
func (s *Store) diskFull(err error) error {
	var se sqlite3.Error
	if err != nil && (platform.IsDiskFull(err) || errors.As(err, &se) && se.Code == sqlite3.ErrFull) {
		return wrapKind(KindInternal, err, "the disk holding %s is full; nothing was changed: free some space and try again", s.dir)
	}
	return err
}

func (s *Store) writeTx(ctx context.Context, fn func(*change) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	c := newChange(tx, s.stamp())
	defer c.close()
	done := false
	defer func() {
		if !done {
			c.discard()
		}
	}()
	if err := fn(c); err != nil {
		return err
	}
	if err := s.rebuildDirty(c); err != nil {
		return err
	}
	if err := s.flush(c); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	done = true
	s.bumpGeneration()
	return nil
}

// bumpGeneration replaces the generation file after a commit: servers stat
// it to know, without a query, that mutable documents may have changed. It
// is only a hint (servers also revalidate every second), so errors are ignored.
func (s *Store) bumpGeneration() {
	path := filepath.Join(s.dir, generationFile)
	tmp := path + ".new"
	if os.WriteFile(tmp, []byte(s.stamp()+"\n"), 0o644) == nil {
		os.Rename(tmp, path)
	}
}

// VersionInfo summarises one published version.
type VersionInfo struct {
	Version      string   `json:"version"`
	Maturity     string   `json:"maturity"`
	Repositories []string `json:"repositories"`
	ExtendedFrom string   `json:"extended_from,omitempty"`
	Depends      []string `json:"depends,omitempty"`
}

// ModuleInfo summarises a module.
type ModuleInfo struct {
	Name           string        `json:"name"`
	Core           bool          `json:"core"`
	DefaultUpgrade bool          `json:"default_upgrade"`
	Versions       []VersionInfo `json:"versions"`
}

// List returns every module with its versions; repository, when set,
// keeps only versions placed there.
func (s *Store) List(ctx context.Context, repository string) ([]ModuleInfo, error) {
	var rows []struct {
		Module  string `db:"module"`
		Core    bool   `db:"is_core"`
		DU      bool   `db:"default_upgrade"`
		Release string `db:"release_json"`
		Ext     string `db:"extended_from"`
		Repos   string `db:"repos"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT v.module, m.is_core, m.default_upgrade, v.release_json, v.extended_from,
		(SELECT COALESCE(GROUP_CONCAT(repository, ','), '') FROM (SELECT repository FROM placements WHERE version_id = v.id ORDER BY repository)) AS repos
		FROM versions v JOIN modules m ON m.name = v.module
		WHERE ? = '' OR EXISTS (SELECT 1 FROM placements p WHERE p.version_id = v.id AND p.repository = ?)
		ORDER BY v.module, v.sort_key`, repository, repository)
	if err != nil {
		return nil, fmt.Errorf("list versions: %w", err)
	}
	var out []ModuleInfo
	for _, r := range rows {
		var rel catalog.Release
		if err := json.Unmarshal([]byte(r.Release), &rel); err != nil {
			return nil, fmt.Errorf("stored release of %s: %w", r.Module, err)
		}
		if len(out) == 0 || out[len(out)-1].Name != r.Module {
			out = append(out, ModuleInfo{Name: r.Module, Core: r.Core, DefaultUpgrade: r.DU})
		}
		vi := VersionInfo{Version: rel.Version.String(), Maturity: rel.Maturity.String(), ExtendedFrom: r.Ext, Depends: splitDeps(rel.Depends)}
		if r.Repos != "" {
			vi.Repositories = splitComma(r.Repos)
		}
		out[len(out)-1].Versions = append(out[len(out)-1].Versions, vi)
	}
	return out, nil
}

// Repositories lists the repository names.
func (s *Store) Repositories(ctx context.Context) ([]string, error) { return repositoriesOn(s.db) }
