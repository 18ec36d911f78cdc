package repo

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/repo/meta"
)

// listingDoc is catalog.Listing with the releases kept as stored JSON, so
// building a listing costs no decode.
type listingDoc struct {
	Schema         int               `json:"schema"`
	Repository     string            `json:"repository"`
	Module         string            `json:"module"`
	DefaultUpgrade bool              `json:"default_upgrade"`
	Versions       []json.RawMessage `json:"versions"`
}

// DirectoryPath is the TUF target, present in every repository, that lists
// all the repositories of the central repository: an agent learns from its
// own series' repository which newer series exist, to see upgrades.
const DirectoryPath = "repositories.json"

// writeDirectory stores a new repositories.json in every repository when
// the set of repositories changed (directoryFor says what each lists).
func (s *Store) writeDirectory(c *change) error {
	if !c.directory {
		return nil
	}
	var rows []catalog.RepositoryInfo
	if err := c.tx.Select(&rows, "SELECT name, kind FROM repositories ORDER BY name"); err != nil {
		return fmt.Errorf("list repositories: %w", err)
	}
	for _, r := range rows {
		data, err := directoryFor(rows, r.Name)
		if err != nil {
			return err
		}
		bin, err := s.storeTarget(c, r.Name, DirectoryPath, data)
		if err != nil {
			return err
		}
		c.extraBins[r.Name] = append(c.extraBins[r.Name], bin)
	}
	return nil
}

// ListingPath is the TUF target path of a module's listing.
func ListingPath(module string) string { return "modules/" + module + ".json" }

// encode writes the listing; releases are stored compact JSON already, so
// they are joined rather than re-encoded.
func (d *listingDoc) encode() []byte {
	repo, _ := json.Marshal(d.Repository)
	mod, _ := json.Marshal(d.Module)
	n := 128
	for _, v := range d.Versions {
		n += len(v) + 1
	}
	b := make([]byte, 0, n)
	b = fmt.Appendf(b, `{"schema":%d,"repository":%s,"module":%s,"default_upgrade":%t,"versions":[`, d.Schema, repo, mod, d.DefaultUpgrade)
	for i, v := range d.Versions {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, v...)
	}
	return append(b, "]}"...)
}

func (s *Store) listing(tx *sqlx.Tx, repository, module string) ([]byte, error) {
	doc := listingDoc{Schema: catalog.ListingSchema, Repository: repository, Module: module}
	if err := tx.Get(&doc.DefaultUpgrade, "SELECT default_upgrade FROM modules WHERE name = ?", module); err != nil {
		return nil, fmt.Errorf("read module %s: %w", module, err)
	}
	var rels []string
	err := tx.Select(&rels, `SELECT v.release_json FROM versions v JOIN placements p ON p.version_id = v.id
		WHERE v.module = ? AND p.repository = ? ORDER BY v.sort_key`, module, repository)
	if err != nil {
		return nil, fmt.Errorf("read releases of %s in %s: %w", module, repository, err)
	}
	for _, r := range rels {
		doc.Versions = append(doc.Versions, json.RawMessage(r))
	}
	return doc.encode(), nil
}

// writeListings stores the listings of modules in a repository as new
// targets and returns the bins that changed.
func (s *Store) writeListings(c *change, repository string, modules []string) ([]string, error) {
	bins := map[string]bool{}
	for _, m := range modules {
		data, err := s.listing(c.tx, repository, m)
		if err != nil {
			return nil, err
		}
		bin, err := s.storeTarget(c, repository, ListingPath(m), data)
		if err != nil {
			return nil, err
		}
		bins[bin] = true
	}
	out := make([]string, 0, len(bins))
	for b := range bins {
		out = append(out, b)
	}
	sort.Strings(out)
	return out, nil
}

// storeTarget stores data as the target at path and records it for its bin,
// superseding the target it replaces.
func (s *Store) storeTarget(c *change, repository, path string, data []byte) (string, error) {
	t := meta.TargetOf(path, data)
	var old meta.Target
	err := c.get(&old, "SELECT path, length, sha256 FROM tuf_targets WHERE repository = ? AND path = ?", repository, path)
	if err == nil && old.SHA256 != t.SHA256 {
		if err := c.supersede(targetPath(repository, old)); err != nil {
			return "", err
		}
	}
	if err := c.putBlob(targetPath(repository, t), data); err != nil {
		return "", err
	}
	bin := meta.BinOf(t.Path, s.signer.Bits())
	err = c.exec(`INSERT INTO tuf_targets (repository, path, bin, length, sha256) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (repository, path) DO UPDATE SET length = excluded.length, sha256 = excluded.sha256`,
		repository, t.Path, bin, t.Length, t.SHA256)
	if err != nil {
		return "", fmt.Errorf("record target %s/%s: %w", repository, t.Path, err)
	}
	return bin, nil
}
