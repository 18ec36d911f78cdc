package scanner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/fetch"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/platform"
)

// subscriptions are the configured repositories, or by default the
// repository of the installed core's series and every newer series the
// central repository lists (so upgrades are seen).
func (s *session) subscriptions(ctx context.Context, core catalog.Series) ([]string, error) {
	if len(s.c.Repository.Subscriptions) > 0 {
		return s.c.Repository.Subscriptions, nil
	}
	own := core.String()
	cl, err := s.series(ctx, own)
	if err != nil {
		return nil, err
	}
	d, err := cl.Directory(ctx)
	if errors.Is(err, fetch.ErrNotFound) {
		return []string{own}, nil
	}
	if err != nil {
		return nil, classify(err)
	}
	subs := []string{own}
	for _, r := range d.Repositories {
		s, err := catalog.ParseSeries(r.Name)
		if r.Kind == "series" && err == nil && s.Compare(core) > 0 {
			subs = append(subs, r.Name)
		}
	}
	return subs, nil
}

// Client returns the verified client of one series repository of the
// central repository.
func Client(c *config.Config, repository string) (*fetch.Client, error) {
	cfg, err := seriesConfig(c, repository)
	if err != nil {
		return nil, err
	}
	cl, err := fetch.New(cfg)
	return cl, withClass(ErrConfig, err)
}

func seriesConfig(c *config.Config, repository string) (fetch.Config, error) {
	root, err := os.ReadFile(c.Repository.TrustedRoot)
	if err != nil {
		return fetch.Config{}, withClass(ErrConfig, fmt.Errorf("repository.trusted_root: %w", err))
	}
	return fetch.Config{BaseURL: c.Repository.URL, Repository: repository, TrustedRoot: root,
		CacheDir: filepath.Join(c.State.Dir, "cache"), Deadlines: deadlines(c)}, nil
}

// deadlines are the configured download deadlines.
func deadlines(c *config.Config) fetch.Deadlines {
	d := c.Repository.Deadlines
	return fetch.Deadlines{Connect: d.Connect.Duration, MinSpeed: d.MinSpeed, Window: d.Window.Duration, Grace: d.Grace.Duration}
}

// ArchiveClient returns the client that downloads the archives of a plan
// change's repository: a series repository of the central one, or a
// private one (NAME@HOST, as the scan labels it).
func ArchiveClient(c *config.Config, repository string) (*fetch.Client, error) {
	if !strings.Contains(repository, "@") {
		return Client(c, repository)
	}
	for _, p := range c.Repository.Private {
		if u, _ := url.Parse(p.URL); p.Name+"@"+u.Host == repository { // validated with the configuration
			cl, _, err := PrivateClient(c, p)
			return cl, err
		}
	}
	return nil, withClass(ErrConfig, fmt.Errorf("the plan names private repository %s, which the configuration no longer lists: plan again", repository))
}

// gather checks every subscribed repository and fetches the listings of
// names and, transitively, of every module their releases depend on.
func (s *session) gather(ctx context.Context, subs, names []string) ([]*catalog.Listing, error) {
	var out []*catalog.Listing
	for _, sub := range subs {
		cl, err := s.series(ctx, sub)
		if err != nil {
			return nil, err
		}
		ls, err := listingsOf(ctx, cl, names)
		if err != nil {
			return nil, err
		}
		out = append(out, ls...)
	}
	return out, nil
}

func listingsOf(ctx context.Context, cl *fetch.Client, names []string) ([]*catalog.Listing, error) {
	var out []*catalog.Listing
	seen := map[string]bool{}
	queue := append([]string(nil), names...)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		l, err := cl.Listing(ctx, name)
		if errors.Is(err, fetch.ErrNotFound) {
			continue // this repository does not carry it
		}
		if err != nil {
			return nil, classify(err)
		}
		out = append(out, l)
		for _, r := range l.Versions {
			for _, d := range r.Depends {
				if !seen[d.Module] {
					queue = append(queue, d.Module)
				}
			}
		}
	}
	return out, nil
}

// classify marks a fetch error as untrusted metadata or an unreachable
// repository; a full disk (where the repository's metadata is cached) is
// neither, and says so.
func classify(err error) error {
	var ue *url.Error
	var ne net.Error
	var he *fetch.HTTPError
	switch {
	case platform.IsDiskFull(err):
		return fmt.Errorf("the disk is full: the repository's metadata cannot be cached in the agent's state folder ([state] dir): %w; free room on that disk and check again (nothing was changed)", err)
	case errors.Is(err, &metadata.ErrRepository{}), errors.As(err, new(*fetch.TooLargeError)):
		return withClass(ErrUntrusted, fmt.Errorf("the repository's metadata failed verification; nothing was used: %w", err))
	case errors.As(err, &ue), errors.As(err, &ne), errors.As(err, &he), errors.Is(err, fetch.ErrTooSlow):
		return withClass(ErrRepository, fmt.Errorf("cannot reach the central repository: %w", err))
	}
	return err
}

// gatherPrivate fetches, from every private repository, the listings of
// names and their dependencies. Each listing is labelled NAME@HOST once
// verified, so the report says where a version comes from and two servers'
// repositories of the same series never mix.
func (s *session) gatherPrivate(ctx context.Context, names []string) ([]*catalog.Listing, error) {
	var out []*catalog.Listing
	for _, p := range s.c.Repository.Private {
		cl, label, err := s.private(ctx, p)
		if err != nil {
			return nil, err
		}
		ls, err := listingsOf(ctx, cl, names)
		if err != nil {
			return nil, fmt.Errorf("private repository %s: %w", label, err)
		}
		for _, l := range ls {
			relabelled := *l
			relabelled.Repository = label
			out = append(out, &relabelled)
		}
	}
	return out, nil
}

// PrivateClient returns the client of a private repository, sending its
// bearer token when one is configured, and its label NAME@HOST.
func PrivateClient(c *config.Config, p config.Private) (*fetch.Client, string, error) {
	cfg, label, err := privateConfig(c, p)
	if err != nil {
		return nil, "", err
	}
	cl, err := fetch.New(cfg)
	return cl, label, withClass(ErrConfig, err)
}

func privateConfig(c *config.Config, p config.Private) (fetch.Config, string, error) {
	u, _ := url.Parse(p.URL) // validated with the configuration
	label := p.Name + "@" + u.Host
	root, err := os.ReadFile(p.TrustedRoot)
	if err != nil {
		return fetch.Config{}, "", withClass(ErrConfig, fmt.Errorf("repository.private %s: trusted_root: %w", label, err))
	}
	token := ""
	if p.TokenFile != "" {
		tok, err := os.ReadFile(p.TokenFile)
		if err != nil {
			return fetch.Config{}, "", withClass(ErrConfig, fmt.Errorf("repository.private %s: token_file: %w", label, err))
		}
		token = strings.TrimSpace(string(tok))
	}
	cache := filepath.Join(c.State.Dir, "cache-private", strings.NewReplacer(":", "_", "/", "_").Replace(u.Host+u.Path))
	return fetch.Config{BaseURL: p.URL, Repository: p.Name, TrustedRoot: root, CacheDir: cache, Token: token,
		Deadlines: deadlines(c)}, label, nil
}
