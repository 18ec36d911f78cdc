package repo

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/catalog"
)

// DependencyStatus shows, for a dependency, the newest published version of
// its module and that version's maturity.
type DependencyStatus struct {
	Dependency string `json:"dependency"`
	Latest     string `json:"latest"`
	Maturity   string `json:"maturity"`
}

// Extended reports an extension: the new version and what it depends on now.
type Extended struct {
	Published
	From         string             `json:"from"`
	OldDepends   []string           `json:"old_depends"`
	NewDepends   []string           `json:"new_depends"`
	Dependencies []DependencyStatus `json:"dependencies"`
}

// Extend widens the dependencies of a published version and publishes the
// result as a new version with one more component (1.4.2 -> 1.4.2.1), placed
// in every repository it now reaches. Only admins may extend, and only widening
// changes are accepted.
func (s *Store) Extend(ctx context.Context, module, version string, depends []catalog.Dependency, actor Actor) (*Extended, error) {
	at := Attempt{Actor: actor, Action: "extend", Module: module, Version: version, Detail: "depends [" + depStrings(depends) + "]"}
	var out *Extended
	err := s.attempt(ctx, at, func(*Attempt) error {
		if err := actor.requireAdmin("extend"); err != nil {
			return err
		}
		return s.locked(ctx, func() error {
			var err error
			out, err = s.extendLocked(ctx, module, version, depends, actor)
			return err
		})
	})
	return out, err
}

type storedRelease struct {
	Release      catalog.Release
	ExtendedFrom string
	PrivateTo    string // the private repository it was published into, if any
}

func (s *Store) loadRelease(q sqlx.Queryer, module, version string) (*storedRelease, error) {
	v, err := catalog.ParseVersion(version)
	if err != nil {
		return nil, wrapKind(KindInvalid, err, "version of %s", module)
	}
	var row struct {
		Release string `db:"release_json"`
		Ext     string `db:"extended_from"`
		Private string `db:"private_to"`
	}
	err = sqlx.Get(q, &row, "SELECT release_json, extended_from, private_to FROM versions WHERE module = ? AND sort_key = ?", module, v.SortKey())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errorf(KindNotFound, "%s %s is not published; see 'upkeep-repo list'", clip(module, 100), version)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", module, version, err)
	}
	out := &storedRelease{ExtendedFrom: row.Ext, PrivateTo: row.Private}
	if err := json.Unmarshal([]byte(row.Release), &out.Release); err != nil {
		return nil, fmt.Errorf("stored release %s %s: %w", module, version, err)
	}
	return out, nil
}

func (s *Store) extendLocked(ctx context.Context, module, version string, depends []catalog.Dependency, actor Actor) (*Extended, error) {
	src, err := s.loadRelease(s.db, module, version)
	if err != nil {
		return nil, err
	}
	old := src.Release.Depends
	if err := catalog.CheckWidening(old, depends); err != nil {
		return nil, wrapKind(KindInvalid, err, "extend %s %s refused", module, version)
	}
	if sameDeps(old, depends) {
		return nil, errorf(KindInvalid, "extend %s %s: the new dependencies equal the current ones; nothing to publish", module, version)
	}
	base := src.Release.Version
	if src.ExtendedFrom != "" {
		base = catalog.MustParseVersion(src.ExtendedFrom)
	}
	next, err := s.nextExtension(base, module)
	if err != nil {
		return nil, err
	}
	data, m, err := s.rewrite(src.Release, next, depends)
	if err != nil {
		return nil, err
	}
	detail := fmt.Sprintf("%s -> %s: depends [%s] -> [%s]", src.Release.Version, next, depStrings(old), depStrings(depends))
	pub, err := s.publishLocked(ctx, op{data: data, m: m, actor: actor, action: "extend", extendedFrom: &base, detail: detail, private: src.PrivateTo})
	if err != nil {
		return nil, err
	}
	status, err := s.dependencyStatus(depends)
	if err != nil {
		return nil, err
	}
	return &Extended{Published: *pub, From: src.Release.Version.String(), OldDepends: splitDeps(old), NewDepends: splitDeps(depends), Dependencies: status}, nil
}

// nextExtension picks base.N for the smallest free N.
func (s *Store) nextExtension(base catalog.Version, module string) (catalog.Version, error) {
	for n := uint32(1); n < 10000; n++ {
		cand, err := base.Append(n)
		if err != nil {
			return catalog.Version{}, wrapKind(KindInvalid, err, "extend %s %s: cannot add a version component", module, base)
		}
		var c int
		if err := s.db.Get(&c, "SELECT COUNT(*) FROM versions WHERE module = ? AND sort_key = ?", module, cand.SortKey()); err != nil {
			return catalog.Version{}, fmt.Errorf("look up %s %s: %w", module, cand, err)
		}
		if c == 0 {
			return cand, nil
		}
	}
	return catalog.Version{}, errorf(KindInvalid, "extend %s %s: no free extension number", module, base)
}

// rewrite builds the extended archive: same files, new manifest.
func (s *Store) rewrite(rel catalog.Release, next catalog.Version, depends []catalog.Dependency) ([]byte, *catalog.Manifest, error) {
	raw, err := os.ReadFile(filepath.Join(s.dir, publicDir, filepath.FromSlash(rel.Archive.Path)))
	if err != nil {
		return nil, nil, fmt.Errorf("read archive of %s: %w", rel.Version, err)
	}
	arc, err := catalog.ReadArchive(bytes.NewReader(raw), int64(len(raw)), s.limits)
	if err != nil {
		return nil, nil, fmt.Errorf("stored archive %s: %w", rel.Archive.Path, err)
	}
	m := *arc.Manifest
	m.Version = next
	m.Depends = depends
	m.Maturity = rel.Maturity
	if err := m.Validate(); err != nil {
		return nil, nil, wrapKind(KindInvalid, err, "extended manifest")
	}
	var buf bytes.Buffer
	if err := catalog.RewriteManifest(bytes.NewReader(raw), int64(len(raw)), &m, &buf); err != nil {
		return nil, nil, fmt.Errorf("catalog.RewriteManifest: %w", err)
	}
	return buf.Bytes(), &m, nil
}

func (s *Store) dependencyStatus(deps []catalog.Dependency) ([]DependencyStatus, error) {
	out := make([]DependencyStatus, 0, len(deps))
	for _, d := range deps {
		var rel string
		err := s.db.Get(&rel, "SELECT release_json FROM versions WHERE module = ? ORDER BY sort_key DESC LIMIT 1", d.Module)
		if err != nil {
			return nil, fmt.Errorf("latest of %s: %w", d.Module, err)
		}
		var r catalog.Release
		if err := json.Unmarshal([]byte(rel), &r); err != nil {
			return nil, fmt.Errorf("stored release of %s: %w", d.Module, err)
		}
		out = append(out, DependencyStatus{Dependency: d.String(), Latest: r.Version.String(), Maturity: r.Maturity.String()})
	}
	return out, nil
}

func sameDeps(a, b []catalog.Dependency) bool {
	return depStrings(a) == depStrings(b)
}

func splitDeps(deps []catalog.Dependency) []string {
	out := make([]string, len(deps))
	for i, d := range deps {
		out[i] = d.String()
	}
	return out
}

func depStrings(deps []catalog.Dependency) string { return strings.Join(splitDeps(deps), ", ") }

func splitComma(s string) []string { return strings.Split(s, ",") }
