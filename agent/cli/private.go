package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/fetch"
	"github.com/upkeep-erp/upkeep/catalog"
)

// gatherPrivate fetches, from every private repository, the listings of
// names and their dependencies. Each listing is labelled NAME@HOST once
// verified, so the report says where a version comes from and two servers'
// repositories of the same series never mix.
func gatherPrivate(ctx context.Context, c *config.Config, names []string) ([]*catalog.Listing, error) {
	var out []*catalog.Listing
	for _, p := range c.Repository.Private {
		cl, label, err := privateClient(c, p)
		if err != nil {
			return nil, err
		}
		if _, err := cl.Check(ctx); err != nil {
			return nil, fmt.Errorf("private repository %s: %w", label, classify(err))
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

func privateClient(c *config.Config, p config.Private) (*fetch.Client, string, error) {
	u, _ := url.Parse(p.URL) // validated with the configuration
	label := p.Name + "@" + u.Host
	root, err := os.ReadFile(p.TrustedRoot)
	if err != nil {
		return nil, "", withCode(ExitUsage, fmt.Errorf("repository.private %s: trusted_root: %w", label, err))
	}
	hc := &http.Client{}
	if p.TokenFile != "" {
		tok, err := os.ReadFile(p.TokenFile)
		if err != nil {
			return nil, "", withCode(ExitUsage, fmt.Errorf("repository.private %s: token_file: %w", label, err))
		}
		hc.Transport = bearer{token: strings.TrimSpace(string(tok)), base: http.DefaultTransport}
	}
	cache := filepath.Join(c.State.Dir, "cache-private", strings.NewReplacer(":", "_", "/", "_").Replace(u.Host+u.Path))
	cl, err := fetch.New(fetch.Config{BaseURL: p.URL, Repository: p.Name, TrustedRoot: root, CacheDir: cache, HTTPClient: hc})
	return cl, label, withCode(ExitUsage, err)
}

// bearer adds the private repository's token to every request.
type bearer struct {
	token string
	base  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.base.RoundTrip(r)
}
