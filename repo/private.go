package repo

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/upkeep-erp/upkeep/catalog"
)

// A private repository holds the versions published into it by name
// (commercial modules for subscribers); it is never placed into by series,
// and the server serves its metadata and archives only to a reader token
// scoped to it (or an admin token).

// reservedNames are the first path segments of the served tree that are
// not repositories.
var reservedNames = []string{archivesDir, "roots", "api", "healthz", "root.json", "metadata", "targets"}

// checkPrivateName refuses a name that cannot be a private repository's.
func checkPrivateName(name string) error {
	if err := catalog.ValidateModuleName(name); err != nil {
		return wrapKind(KindInvalid, err, "repository name %q", clip(name, 64))
	}
	if _, err := catalog.ParseSeries(name); err == nil {
		return errorf(KindInvalid, "repository name %q is a core series, which names the public repositories: choose another, e.g. %s-private", name, name)
	}
	if slices.Contains(reservedNames, name) {
		return errorf(KindInvalid, "repository name %q is reserved by the served tree: choose another", name)
	}
	return nil
}

// RepositoryInfo describes a repository for `upkeep-repo repository list`.
type RepositoryInfo struct {
	Name     string `db:"name" json:"name"`
	Kind     string `db:"kind" json:"kind"` // series or private
	Versions int    `db:"versions" json:"versions"`
}

// RepositoryList lists every repository with its kind and version count.
func (s *Store) RepositoryList(ctx context.Context) ([]RepositoryInfo, error) {
	var out []RepositoryInfo
	err := s.db.SelectContext(ctx, &out, `SELECT r.name, r.kind, (SELECT COUNT(*) FROM placements p WHERE p.repository = r.name) AS versions
		FROM repositories r ORDER BY r.name`)
	if err != nil {
		return nil, fmt.Errorf("list repositories: %w", err)
	}
	return out, nil
}

// AddPrivateRepository creates an empty private repository, signed and
// ready to publish into; the attempt is audited.
func (s *Store) AddPrivateRepository(ctx context.Context, name string, by Actor) error {
	return s.attempt(ctx, Attempt{Actor: by, Action: "repository-add", Detail: clip(name, 64) + " (private)"}, func(*Attempt) error {
		if err := by.requireAdmin("adding a repository"); err != nil {
			return err
		}
		if err := checkPrivateName(name); err != nil {
			return err
		}
		return s.locked(ctx, func() error {
			return s.write(ctx, func(c *change) error { return s.createPrivate(c, name, by) })
		})
	})
}

func (s *Store) createPrivate(c *change, name string, by Actor) error {
	if _, err := repositoryKind(c.tx, name); err == nil {
		return errorf(KindConflict, "repository %q exists", name)
	}
	if err := c.exec("INSERT INTO repositories (name, kind, created_at) VALUES (?, ?, ?)", name, kindPrivate, c.stamp); err != nil {
		return fmt.Errorf("create repository %s: %w", name, err)
	}
	c.newRepos = append(c.newRepos, name)
	c.dirty[name] = map[string]bool{}
	if err := s.writeRoots(c, name); err != nil {
		return err
	}
	if err := s.writeDirectoryOf(c, name); err != nil {
		return err
	}
	return s.audit(c, by, "repository-add", "", "", name+" (private)")
}

// directoryFor is the repositories.json a repository carries: every
// series repository, and itself when it is private (a private repository
// is named to nobody else).
func directoryFor(all []catalog.RepositoryInfo, repository string) ([]byte, error) {
	var rows []catalog.RepositoryInfo
	for _, r := range all {
		if r.Kind == kindSeries || r.Name == repository {
			rows = append(rows, r)
		}
	}
	data, err := json.Marshal(catalog.Directory{Schema: catalog.DirectorySchema, Repositories: rows})
	if err != nil {
		return nil, fmt.Errorf("encode the repository directory: %w", err)
	}
	return data, nil
}

// writeDirectoryOf stores repository's repositories.json.
func (s *Store) writeDirectoryOf(c *change, repository string) error {
	var all []catalog.RepositoryInfo
	if err := c.tx.Select(&all, "SELECT name, kind FROM repositories ORDER BY name"); err != nil {
		return fmt.Errorf("list repositories: %w", err)
	}
	data, err := directoryFor(all, repository)
	if err != nil {
		return err
	}
	bin, err := s.storeTarget(c, repository, DirectoryPath, data)
	if err != nil {
		return err
	}
	c.extraBins[repository] = append(c.extraBins[repository], bin)
	return nil
}

// checkPrivateTarget refuses publishing into a repository that is not
// private, or a core version into a private one.
func (s *Store) checkPrivateTarget(c *change, repository string, m *catalog.Manifest) error {
	kind, err := repositoryKind(c.tx, repository)
	if err != nil {
		return err
	}
	switch {
	case kind != kindPrivate:
		return errorf(KindInvalid, "repository %q is a series repository: its versions are placed by their dependencies; publish without --repository", repository)
	case m.Core:
		return errorf(KindInvalid, "%s %s is a core version: the core is public (each core series is a repository); publish it without --repository", m.Name, m.Version)
	}
	return nil
}

// visibleTo keeps of mods what a reader may see: versions placed in a
// public repository, or in a private one canRead allows; the private
// repositories it may not read are left out of each version's list.
func visibleTo(mods []ModuleInfo, private map[string]bool, canRead func(string) bool) []ModuleInfo {
	var out []ModuleInfo
	for _, m := range mods {
		var vs []VersionInfo
		for _, v := range m.Versions {
			var repos []string
			for _, r := range v.Repositories {
				if !private[r] || canRead(r) {
					repos = append(repos, r)
				}
			}
			if len(repos) > 0 {
				v.Repositories = repos
				vs = append(vs, v)
			}
		}
		if len(vs) > 0 {
			m.Versions = vs
			out = append(out, m)
		}
	}
	return out
}

// privateRepositories returns the names of the private repositories.
func (s *Store) privateRepositories(ctx context.Context) (map[string]bool, error) {
	var names []string
	if err := s.db.SelectContext(ctx, &names, "SELECT name FROM repositories WHERE kind = ?", kindPrivate); err != nil {
		return nil, fmt.Errorf("list private repositories: %w", err)
	}
	out := make(map[string]bool, len(names))
	for _, n := range names {
		out[n] = true
	}
	return out, nil
}

// archiveRepositories returns the repositories an archive (by the sha256
// its name carries) is placed in.
func (s *Store) archiveRepositories(ctx context.Context, sha string) ([]string, error) {
	var out []string
	err := s.db.SelectContext(ctx, &out, `SELECT DISTINCT p.repository FROM versions v JOIN placements p ON p.version_id = v.id
		WHERE v.archive_sha256 = ?`, strings.ToLower(sha))
	if err != nil {
		return nil, fmt.Errorf("repositories of archive %s: %w", sha, err)
	}
	return out, nil
}
