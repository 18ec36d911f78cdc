package repo

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/repo/meta"
)

// ImportRelease is one version of a bulk import: its manifest and its
// archive, already stored under public/archives or given as Data.
type ImportRelease struct {
	Manifest *catalog.Manifest
	Archive  catalog.ArchiveRef
	Data     []byte // optional archive bytes, stored by sha256
}

// ImportResult counts what an import did.
type ImportResult struct {
	Versions     int
	Repositories []string
	Listings     int
}

// Import bulk-loads many versions at once (migrating an existing catalog, or
// generating a benchmark one): placement is computed in memory in dependency
// order, every listing is rewritten and every repository re-signed, with one
// filesystem flush instead of one per file. All or nothing.
func (s *Store) Import(ctx context.Context, rels []ImportRelease, actor Actor) (*ImportResult, error) {
	if err := actor.requireAdmin("import"); err != nil {
		return nil, err
	}
	ordered, err := importOrder(rels)
	if err != nil {
		return nil, err
	}
	var res *ImportResult
	err = s.locked(ctx, func() error {
		return s.write(ctx, func(c *change) error {
			res, err = s.importLocked(c, ordered, actor)
			if err != nil {
				return err
			}
			return s.rebuildAll(c)
		})
	})
	return res, err
}

// importOrder sorts releases so every module comes after the modules it
// depends on (versions ascending within a module), refusing cycles.
func importOrder(rels []ImportRelease) ([]ImportRelease, error) {
	byModule := map[string][]ImportRelease{}
	deps := map[string]map[string]bool{}
	for _, r := range rels {
		m := r.Manifest
		byModule[m.Name] = append(byModule[m.Name], r)
		if deps[m.Name] == nil {
			deps[m.Name] = map[string]bool{}
		}
		for _, d := range m.Depends {
			deps[m.Name][d.Module] = true
		}
	}
	order, err := topoSort(deps)
	if err != nil {
		return nil, err
	}
	out := make([]ImportRelease, 0, len(rels))
	for _, name := range order {
		vs := byModule[name]
		sort.Slice(vs, func(i, j int) bool { return vs[i].Manifest.Version.Less(vs[j].Manifest.Version) })
		out = append(out, vs...)
	}
	return out, nil
}

// topoSort orders modules dependencies-first; modules outside the graph
// (already published) are ignored.
func topoSort(deps map[string]map[string]bool) ([]string, error) {
	const (
		unseen = iota
		active
		done
	)
	state := map[string]int{}
	var order []string
	var visit func(string) error
	visit = func(n string) error {
		switch state[n] {
		case active:
			return errorf(KindInvalid, "import: dependency cycle through %s", n)
		case done:
			return nil
		}
		state[n] = active
		for _, d := range sortedKeys(deps[n]) {
			if _, in := deps[d]; in {
				if err := visit(d); err != nil {
					return err
				}
			}
		}
		state[n] = done
		order = append(order, n)
		return nil
	}
	names := make([]string, 0, len(deps))
	for n := range deps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return order, nil
}

func (s *Store) importLocked(c *change, rels []ImportRelease, actor Actor) (*ImportResult, error) {
	var before int
	if err := c.tx.Get(&before, "SELECT COUNT(*) FROM versions"); err != nil {
		return nil, fmt.Errorf("count versions: %w", err)
	}
	pl := s.newPlacer(c)
	imported := map[string]bool{}
	for _, r := range rels {
		if err := s.importOne(c, pl, r, actor); err != nil {
			return nil, err
		}
		imported[r.Manifest.Name] = true
	}
	if before > 0 { // versions published earlier may now reach more repositories
		for _, name := range sortedKeys(imported) {
			if _, err := pl.propagate(name); err != nil {
				return nil, err
			}
		}
	}
	n := 0
	for _, mods := range c.dirty {
		n += len(mods)
	}
	return &ImportResult{Versions: len(rels), Repositories: sortedKeys(mapOf(c.dirty)), Listings: n}, nil
}

func mapOf(m map[string]map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

func (s *Store) importOne(c *change, pl *placer, r ImportRelease, actor Actor) error {
	m := r.Manifest
	if err := m.Validate(); err != nil {
		return wrapKind(KindInvalid, err, "import %s %s", m.Name, m.Version)
	}
	for _, d := range m.Depends {
		if len(pl.rows(d.Module)) == 0 && pl.err == nil {
			return errorf(KindInvalid, "import %s %s: depends on %s, which is neither published nor imported", m.Name, m.Version, d.Module)
		}
	}
	if r.Data != nil {
		if err := c.writeFile(filepath.Join(s.dir, publicDir, filepath.FromSlash(r.Archive.Path)), r.Data); err != nil {
			return err
		}
	}
	rel := m.Release(r.Archive, s.now().UTC())
	id, err := s.insertVersion(c, m, rel, op{actor: actor})
	if err != nil {
		return err
	}
	_, err = pl.placeNew(id, m)
	return err
}

// rebuildAll rewrites every dirty repository's listings in one pass per
// repository and re-signs every bin, then clears the dirty set.
func (s *Store) rebuildAll(c *change) error {
	for _, repo := range sortedKeys(mapOf(c.dirty)) {
		if err := s.writeAllListings(c, repo); err != nil {
			return err
		}
		if err := s.resign(c, repo, meta.AllBins(s.signer.Bits()), containsString(c.newRepos, repo)); err != nil {
			return err
		}
	}
	c.dirty, c.newRepos = map[string]map[string]bool{}, nil
	return nil
}

func (s *Store) writeAllListings(c *change, repository string) error {
	rows, err := c.tx.Queryx(`SELECT v.module, m.default_upgrade, v.release_json FROM versions v
		JOIN placements p ON p.version_id = v.id JOIN modules m ON m.name = v.module
		WHERE p.repository = ? ORDER BY v.module, v.sort_key`, repository)
	if err != nil {
		return fmt.Errorf("read releases of %s: %w", repository, err)
	}
	defer rows.Close()
	var doc *listingDoc
	for rows.Next() {
		var module, rel string
		var du bool
		if err := rows.Scan(&module, &du, &rel); err != nil {
			return fmt.Errorf("scan release: %w", err)
		}
		if doc != nil && doc.Module != module {
			if err := s.storeListing(c, doc); err != nil {
				return err
			}
			doc = nil
		}
		if doc == nil {
			doc = &listingDoc{Schema: catalog.ListingSchema, Repository: repository, Module: module, DefaultUpgrade: du}
		}
		doc.Versions = append(doc.Versions, json.RawMessage(rel))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read releases of %s: %w", repository, err)
	}
	if doc != nil {
		return s.storeListing(c, doc)
	}
	return nil
}

func (s *Store) storeListing(c *change, doc *listingDoc) error {
	_, err := s.storeTarget(c, doc.Repository, ListingPath(doc.Module), doc.encode())
	return err
}

// Resign regenerates every listing and re-signs every role of every
// repository: after a key rotation or a change of bin count, or to measure
// the cost of signing the whole catalog.
func (s *Store) Resign(ctx context.Context) ([]string, error) {
	var repos []string
	err := s.locked(ctx, func() error {
		return s.write(ctx, func(c *change) error {
			var err error
			if repos, err = repositoriesOn(c.tx); err != nil {
				return err
			}
			for _, r := range repos {
				c.dirty[r] = map[string]bool{}
			}
			c.newRepos = repos
			return s.rebuildAll(c)
		})
	})
	return repos, err
}
