package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/fetch"
	"github.com/upkeep-erp/upkeep/catalog"
)

// subscriptions are the configured repositories, or by default the
// repository of the installed core's series and every newer series the
// central repository lists (so upgrades are seen).
func subscriptions(ctx context.Context, c *config.Config, core catalog.Series) ([]string, error) {
	if len(c.Repository.Subscriptions) > 0 {
		return c.Repository.Subscriptions, nil
	}
	own := core.String()
	cl, err := client(c, own)
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

func client(c *config.Config, repository string) (*fetch.Client, error) {
	root, err := os.ReadFile(c.Repository.TrustedRoot)
	if err != nil {
		return nil, withCode(ExitUsage, fmt.Errorf("repository.trusted_root: %w", err))
	}
	cl, err := fetch.New(fetch.Config{BaseURL: c.Repository.URL, Repository: repository, TrustedRoot: root,
		CacheDir: filepath.Join(c.State.Dir, "cache")})
	return cl, withCode(ExitUsage, err)
}

// gathered is what the subscribed repositories list for the modules that matter.
type gathered struct {
	Listings []*catalog.Listing // every repository's listing of every module found
	Clients  map[string]*fetch.Client
}

// gather checks every subscribed repository and fetches the listings of
// names and, transitively, of every module their releases depend on.
func gather(ctx context.Context, c *config.Config, subs, names []string) (*gathered, error) {
	g := &gathered{Clients: map[string]*fetch.Client{}}
	for _, sub := range subs {
		cl, err := client(c, sub)
		if err != nil {
			return nil, err
		}
		if _, err := cl.Check(ctx); err != nil {
			return nil, classify(err)
		}
		ls, err := listingsOf(ctx, cl, names)
		if err != nil {
			return nil, err
		}
		g.Clients[sub] = cl
		g.Listings = append(g.Listings, ls...)
	}
	return g, nil
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

// classify maps a fetch error to the exit code a script can act on.
func classify(err error) error {
	var ue *url.Error
	var ne net.Error
	var he *fetch.HTTPError
	switch {
	case errors.Is(err, &metadata.ErrRepository{}):
		return withCode(ExitUntrusted, fmt.Errorf("the repository's metadata failed verification; nothing was used: %w", err))
	case errors.As(err, &ue), errors.As(err, &ne), errors.As(err, &he), errors.Is(err, fetch.ErrStalled):
		return withCode(ExitRepository, fmt.Errorf("cannot reach the central repository: %w", err))
	}
	return err
}
