package repo

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/repo/meta"
)

// placer places versions into repositories inside one write transaction,
// caching what it reads of the published catalog.
type placer struct {
	s      *Store
	tx     *sqlx.Tx
	c      *change
	cache  map[string][]placedRow
	series []string
	err    error
}

type placedRow struct {
	placed
	ID int64
}

func (s *Store) newPlacer(c *change) *placer {
	return &placer{s: s, tx: c.tx, c: c, cache: map[string][]placedRow{}}
}

func (p *placer) rows(module string) []placedRow {
	if rows, ok := p.cache[module]; ok || p.err != nil {
		return rows
	}
	var raw []struct {
		ID      int64          `db:"id"`
		Version string         `db:"version"`
		Repos   sql.NullString `db:"repos"`
	}
	err := p.tx.Select(&raw, `SELECT v.id, v.version, GROUP_CONCAT(p.repository) AS repos FROM versions v
		LEFT JOIN placements p ON p.version_id = v.id WHERE v.module = ? GROUP BY v.id`, module)
	if err != nil {
		p.err = fmt.Errorf("read versions of %s: %w", module, err)
		return nil
	}
	rows := make([]placedRow, 0, len(raw))
	for _, r := range raw {
		v, err := catalog.ParseVersion(r.Version)
		if err != nil {
			p.err = fmt.Errorf("stored version %s %q: %w", module, r.Version, err)
			return nil
		}
		pr := placedRow{placed: placed{Version: v, Repos: map[string]bool{}}, ID: r.ID}
		for _, repo := range strings.Split(r.Repos.String, ",") {
			if repo != "" {
				pr.Repos[repo] = true
			}
		}
		rows = append(rows, pr)
	}
	p.cache[module] = rows
	return rows
}

func (p *placer) versionsOf(module string) []placed {
	rows := p.rows(module)
	out := make([]placed, len(rows))
	for i, r := range rows {
		out[i] = r.placed
	}
	return out
}

func (p *placer) loadSeries() ([]string, error) {
	if p.series == nil {
		if err := p.tx.Select(&p.series, "SELECT name FROM repositories WHERE kind = 'series' ORDER BY name"); err != nil {
			return nil, fmt.Errorf("list repositories: %w", err)
		}
	}
	return p.series, nil
}

// placeNew places a just-inserted version and returns its repositories.
func (p *placer) placeNew(id int64, m *catalog.Manifest) ([]string, error) {
	if m.Core {
		if err := p.ensureRepository(m.Version.Series().String()); err != nil {
			return nil, err
		}
	}
	series, err := p.loadSeries()
	if err != nil {
		return nil, err
	}
	r := reach(m.Core, m.Version, m.Depends, p.versionsOf, series)
	if p.err != nil {
		return nil, p.err
	}
	if len(r) == 0 {
		return nil, errorf(KindInvalid, "%s", explainUnreachable(m.Name, m.Version, m.Depends, p.versionsOf, series))
	}
	delete(p.cache, m.Name)
	if err := p.addPlacements(id, m.Name, r); err != nil {
		return nil, err
	}
	return sortedKeys(r), nil
}

func (p *placer) addPlacements(id int64, module string, repos map[string]bool) error {
	for repo := range repos {
		if err := p.c.exec("INSERT INTO placements (version_id, repository) VALUES (?, ?)", id, repo); err != nil {
			return fmt.Errorf("place %s in %s: %w", module, repo, err)
		}
		p.c.markDirty(repo, module)
	}
	return nil
}

// propagate widens the placement of every version that depends, directly or
// through others, on module, now that module has a new version or placement.
func (p *placer) propagate(module string) ([]string, error) {
	var widened []string
	queue, seen := []string{module}, map[string]bool{module: true}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		grown, err := p.widenDependents(cur)
		if err != nil {
			return nil, err
		}
		for _, g := range grown {
			widened = append(widened, g.label)
			if !seen[g.module] {
				seen[g.module] = true
				queue = append(queue, g.module)
			}
		}
	}
	sort.Strings(widened)
	return widened, nil
}

type grown struct{ module, label string }

func (p *placer) widenDependents(module string) ([]grown, error) {
	var deps []struct {
		ID      int64  `db:"id"`
		Module  string `db:"module"`
		Release string `db:"release_json"`
	}
	err := p.tx.Select(&deps, `SELECT v.id, v.module, v.release_json FROM versions v
		JOIN dependencies d ON d.version_id = v.id JOIN modules m ON m.name = v.module
		WHERE d.module = ? AND m.is_core = 0 AND v.private_to = ''`, module)
	if err != nil {
		return nil, fmt.Errorf("read dependents of %s: %w", module, err)
	}
	series, err := p.loadSeries()
	if err != nil {
		return nil, err
	}
	var out []grown
	for _, d := range deps {
		var rel catalog.Release
		if err := json.Unmarshal([]byte(d.Release), &rel); err != nil {
			return nil, fmt.Errorf("stored release %s #%d: %w", d.Module, d.ID, err)
		}
		add := p.missing(d.ID, d.Module, reach(false, rel.Version, rel.Depends, p.versionsOf, series))
		if p.err != nil {
			return nil, p.err
		}
		if len(add) == 0 {
			continue
		}
		delete(p.cache, d.Module)
		if err := p.addPlacements(d.ID, d.Module, add); err != nil {
			return nil, err
		}
		out = append(out, grown{d.Module, fmt.Sprintf("%s %s now also in %s", d.Module, rel.Version, strings.Join(sortedKeys(add), ", "))})
	}
	return out, nil
}

// missing returns the repositories of want that version id is not placed in yet.
func (p *placer) missing(id int64, module string, want map[string]bool) map[string]bool {
	for _, r := range p.rows(module) {
		if r.ID == id {
			add := map[string]bool{}
			for repo := range want {
				if !r.Repos[repo] {
					add[repo] = true
				}
			}
			return add
		}
	}
	return nil
}

// ensureRepository creates a series repository the first time a core
// version of that series is published.
func (p *placer) ensureRepository(name string) error {
	var n int
	if err := p.tx.Get(&n, "SELECT COUNT(*) FROM repositories WHERE name = ?", name); err != nil {
		return fmt.Errorf("look up repository %s: %w", name, err)
	}
	if n > 0 {
		return nil
	}
	if err := p.c.exec("INSERT INTO repositories (name, kind, created_at) VALUES (?, 'series', ?)", name, p.c.stamp); err != nil {
		return fmt.Errorf("create repository %s: %w", name, err)
	}
	p.series = nil
	p.c.newRepos = append(p.c.newRepos, name)
	if err := p.c.markAllRepositories(); err != nil {
		return err
	}
	return p.s.writeRoots(p.c, name)
}

// writeRoots copies every root version into a repository's metadata,
// where TUF clients look for N.root.json.
func (s *Store) writeRoots(c *change, repository string) error {
	v, err := settingIntOn(c.tx, "root_version")
	if err != nil {
		return err
	}
	for i := 1; i <= v; i++ {
		name := strconv.Itoa(i) + ".root.json"
		var data []byte
		if err := c.tx.Get(&data, "SELECT body FROM blobs WHERE path = ?", "roots/"+name); err != nil {
			return fmt.Errorf("read root v%d: %w", i, err)
		}
		if err := c.putBlob(metaPath(repository, name), data); err != nil {
			return err
		}
	}
	return nil
}

// rebuildDirty regenerates the listings marked dirty and re-signs the bins
// holding them, then each touched repository's snapshot and timestamp.
func (s *Store) rebuildDirty(c *change) error {
	if err := s.writeDirectory(c); err != nil {
		return err
	}
	repos := map[string]bool{}
	for r := range c.dirty {
		repos[r] = true
	}
	for _, r := range c.newRepos {
		repos[r] = true
	}
	for _, repo := range sortedKeys(repos) {
		bins, err := s.writeListings(c, repo, sortedKeys(c.dirty[repo]))
		if err != nil {
			return err
		}
		bins = append(bins, c.extraBins[repo]...)
		isNew := containsString(c.newRepos, repo)
		if isNew {
			bins = meta.AllBins(s.signer.Bits())
		}
		if err := s.resign(c, repo, bins, isNew); err != nil {
			return err
		}
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
