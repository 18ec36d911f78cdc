package repo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/catalog"
)

// Published reports where a new version went.
type Published struct {
	Module       string   `json:"module"`
	Version      string   `json:"version"`
	SHA256       string   `json:"sha256"`
	Repositories []string `json:"repositories"`
	// Widened lists other versions that the new one let into more repositories.
	Widened []string `json:"widened,omitempty"`
}

// Publish validates a module archive and publishes its version into every
// repository whose core series its dependencies reach, then re-signs what
// changed. On any error the store and the published metadata stay as they were.
func (s *Store) Publish(ctx context.Context, data []byte, actor Actor) (*Published, error) {
	return s.PublishTo(ctx, data, "", actor)
}

// PublishTo is Publish into the named private repository, and only there
// ("" places by series as Publish does). The attempt is audited.
func (s *Store) PublishTo(ctx context.Context, data []byte, repository string, actor Actor) (*Published, error) {
	var out *Published
	detail := fmt.Sprintf("archive of %d bytes", len(data))
	if repository != "" {
		detail += " into " + clip(repository, 64)
	}
	err := s.attempt(ctx, Attempt{Actor: actor, Action: "publish", Detail: detail}, func(at *Attempt) error {
		// An Odoo addon as it is gets its upkeep.toml written from __manifest__.py.
		data, _, err := catalog.OdooAddonArchive(data, s.limits)
		if err != nil {
			return wrapKind(KindInvalid, err, "Odoo addon rejected")
		}
		m, err := s.readManifest(data)
		if err != nil {
			return err
		}
		at.Module, at.Version = m.Name, m.Version.String()
		if !actor.CanPublish(m.Name) {
			return errorf(KindForbidden, "%s may not publish module %s; ask an admin for a token that covers it", actor.Name, m.Name)
		}
		return s.locked(ctx, func() error {
			out, err = s.publishLocked(ctx, op{data: data, m: m, actor: actor, action: "publish", private: repository})
			return err
		})
	})
	return out, err
}

func (s *Store) readManifest(data []byte) (*catalog.Manifest, error) {
	if int64(len(data)) > s.limits.MaxArchiveSize {
		return nil, errorf(KindInvalid, "archive is %d bytes, over the %d-byte limit", len(data), s.limits.MaxArchiveSize)
	}
	arc, err := catalog.ReadArchive(bytes.NewReader(data), int64(len(data)), s.limits)
	if err != nil {
		return nil, wrapKind(KindInvalid, err, "archive rejected")
	}
	return arc.Manifest, nil
}

// op is one version to publish.
type op struct {
	data         []byte
	m            *catalog.Manifest
	actor        Actor
	action       string // publish or extend
	extendedFrom *catalog.Version
	detail       string
	private      string // the private repository it goes into, alone; "" places by series
}

func (s *Store) publishLocked(ctx context.Context, o op) (*Published, error) {
	var out *Published
	err := s.write(ctx, func(c *change) error {
		var err error
		out, err = s.insertRelease(c, o)
		return err
	})
	return out, err
}

func (s *Store) insertRelease(c *change, o op) (*Published, error) {
	m := o.m
	if err := s.checkNew(c.tx, m); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(o.data)
	ref := catalog.ArchiveRef{Path: archivesDir + "/" + hex.EncodeToString(sum[:]) + ".zip", Length: int64(len(o.data)), SHA256: hex.EncodeToString(sum[:])}
	if err := c.writeFile(filepath.Join(s.dir, publicDir, filepath.FromSlash(ref.Path)), o.data); err != nil {
		return nil, err
	}
	rel := m.Release(ref, s.now().UTC())
	rel.ExtendedFrom = o.extendedFrom
	id, err := s.insertVersion(c, m, rel, o)
	if err != nil {
		return nil, err
	}
	repos, widened, err := s.place(c, id, m, o.private)
	if err != nil {
		return nil, err
	}
	out := &Published{Module: m.Name, Version: m.Version.String(), SHA256: ref.SHA256, Repositories: repos, Widened: widened}
	detail := o.detail
	if detail == "" {
		detail = fmt.Sprintf("sha256 %s; repositories %v", ref.SHA256, repos)
	}
	return out, s.audit(c, o.actor, o.action, m.Name, m.Version.String(), detail)
}

// checkNew refuses duplicates, core-flag flips, unknown dependencies and cycles.
func (s *Store) checkNew(tx *sqlx.Tx, m *catalog.Manifest) error {
	var existing string
	err := tx.Get(&existing, "SELECT archive_sha256 FROM versions WHERE module = ? AND sort_key = ?", m.Name, m.Version.SortKey())
	if err == nil {
		return errorf(KindConflict, "%s %s is already published (archive sha256 %s); published versions never change: publish a new version", m.Name, m.Version, existing)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("look up %s %s: %w", m.Name, m.Version, err)
	}
	var isCore bool
	err = tx.Get(&isCore, "SELECT is_core FROM modules WHERE name = ?", m.Name)
	if err == nil && isCore != m.Core {
		return errorf(KindInvalid, "%s %s: core = %v, but earlier versions of %s say core = %v; a module cannot change whether it is the core", m.Name, m.Version, m.Core, m.Name, isCore)
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("look up module %s: %w", m.Name, err)
	}
	for _, d := range m.Depends {
		var n int
		if err := tx.Get(&n, "SELECT COUNT(*) FROM modules WHERE name = ?", d.Module); err != nil {
			return fmt.Errorf("look up dependency %s: %w", d.Module, err)
		}
		if n == 0 {
			return errorf(KindInvalid, "%s %s depends on %s, which is not published here: publish %s first, or fix depends in upkeep.toml (for an Odoo addon, in __manifest__.py)", m.Name, m.Version, d.Module, d.Module)
		}
	}
	return s.checkCycle(tx, m)
}

// checkCycle refuses a dependency that leads back to the module itself.
func (s *Store) checkCycle(tx *sqlx.Tx, m *catalog.Manifest) error {
	from := map[string]string{}
	queue := []string{}
	for _, d := range m.Depends {
		from[d.Module] = m.Name
		queue = append(queue, d.Module)
	}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == m.Name {
			return errorf(KindInvalid, "%s %s would create a dependency cycle: %s; remove one of these dependencies", m.Name, m.Version, cyclePath(from, m.Name))
		}
		var next []string
		if err := tx.Select(&next, "SELECT DISTINCT d.module FROM dependencies d JOIN versions v ON v.id = d.version_id WHERE v.module = ?", cur); err != nil {
			return fmt.Errorf("walk dependencies of %s: %w", cur, err)
		}
		for _, n := range next {
			if _, seen := from[n]; !seen {
				from[n] = cur
				queue = append(queue, n)
			}
		}
	}
	return nil
}

func cyclePath(from map[string]string, name string) string {
	path := name
	for cur, n := from[name], 0; n < 64; cur, n = from[cur], n+1 {
		path = cur + " -> " + path
		if cur == name {
			break
		}
	}
	return path
}

func (s *Store) insertVersion(c *change, m *catalog.Manifest, rel catalog.Release, o op) (int64, error) {
	if !c.modules[m.Name] {
		err := c.exec("INSERT INTO modules (name, is_core, default_upgrade, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
			m.Name, m.Core, m.DefaultUpgrade, c.stamp)
		if err != nil {
			return 0, fmt.Errorf("insert module %s: %w", m.Name, err)
		}
		c.modules[m.Name] = true
	}
	body, err := json.Marshal(rel)
	if err != nil {
		return 0, fmt.Errorf("encode release %s %s: %w", m.Name, m.Version, err)
	}
	ext := ""
	if o.extendedFrom != nil {
		ext = o.extendedFrom.String()
	}
	id, err := c.insert(`INSERT INTO versions (module, version, sort_key, release_json, archive_sha256, archive_length, extended_from, published_at, published_by, private_to)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.Name, m.Version.String(), m.Version.SortKey(), string(body),
		rel.Archive.SHA256, rel.Archive.Length, ext, c.stamp, o.actor.Name, o.private)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return 0, errorf(KindConflict, "%s %s is already published; published versions never change: publish a new version", m.Name, m.Version)
		}
		return 0, fmt.Errorf("insert version %s %s: %w", m.Name, m.Version, err)
	}
	for _, d := range m.Depends {
		if err := c.exec("INSERT INTO dependencies (version_id, module) VALUES (?, ?)", id, d.Module); err != nil {
			return 0, fmt.Errorf("insert dependency %s: %w", d.Module, err)
		}
	}
	return id, nil
}

// place puts a new version into its repositories: the private one it was
// published into, or every series its dependencies reach (widening the
// placement of the versions that depend on it).
func (s *Store) place(c *change, id int64, m *catalog.Manifest, private string) (repos, widened []string, err error) {
	if private != "" {
		if err := s.checkPrivateTarget(c, private, m); err != nil {
			return nil, nil, err
		}
		if err := c.exec("INSERT INTO placements (version_id, repository) VALUES (?, ?)", id, private); err != nil {
			return nil, nil, fmt.Errorf("place %s in %s: %w", m.Name, private, err)
		}
		c.markDirty(private, m.Name)
		return []string{private}, nil, nil
	}
	pl := s.newPlacer(c)
	if repos, err = pl.placeNew(id, m); err != nil {
		return nil, nil, err
	}
	widened, err = pl.propagate(m.Name)
	return repos, widened, err
}
