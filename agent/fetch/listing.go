package fetch

import (
	"context"
	"fmt"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/upkeep-erp/upkeep/catalog"
)

// listingPath is the TUF target path of a module's listing.
func listingPath(module string) string { return "modules/" + module + ".json" }

// Listing returns the verified listing of module in the repository, from
// the state of the last Check (it runs one first when there was none, or
// the last one failed). Only the hashed bin holding the module and the
// listing itself are downloaded, and each only when not cached already.
// A module the repository does not carry is an error matching ErrNotFound.
func (c *Client) Listing(ctx context.Context, module string) (*catalog.Listing, error) {
	if err := catalog.ValidateModuleName(module); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.up == nil {
		if _, err := c.check(ctx); err != nil {
			return nil, fmt.Errorf("read the listing of %s in repository %s: %w", module, c.cfg.Repository, err)
		}
	}
	c.ucfg.Fetcher = c.fetch.WithContext(ctx)
	l, err := c.listing(module)
	if err != nil {
		return nil, fmt.Errorf("read the listing of %s in repository %s: %w", module, c.cfg.Repository, err)
	}
	return l, nil
}

func (c *Client) listing(module string) (*catalog.Listing, error) {
	info, err := c.targetInfo(module)
	if err != nil {
		return nil, err
	}
	if info.Length > c.limits.Listing {
		return nil, &TooLargeError{URL: c.targetsURL + "/" + info.Path, Limit: c.limits.Listing, Size: info.Length}
	}
	_, data, err := c.up.FindCachedTarget(info, "")
	if err == nil && data == nil {
		_, data, err = c.up.DownloadTarget(info, "", "")
	}
	if err != nil {
		return nil, fmt.Errorf("download: %w; %s", err, hint(err))
	}
	l, err := catalog.ParseListing(data)
	if err != nil {
		return nil, err
	}
	switch {
	case l.Module != module:
		return nil, fmt.Errorf("the listing signed for %q describes module %q; the repository is misconfigured: report it to its operator", module, l.Module)
	case l.Repository != c.cfg.Repository:
		return nil, fmt.Errorf("the listing served for repository %q belongs to repository %q: the server mixes repositories "+
			"(a misconfigured mirror or an attack); check repository.url, and report it to the operator", c.cfg.Repository, l.Repository)
	}
	return l, nil
}

// targetInfo looks the module's listing up in its bin.
func (c *Client) targetInfo(module string) (*metadata.TargetFiles, error) {
	p := listingPath(module)
	info, err := c.up.GetTargetInfo(p)
	if err == nil {
		return info, nil
	}
	if c.verifiedAbsent(p) {
		return nil, &NotFoundError{Module: module, Repository: c.cfg.Repository}
	}
	return nil, fmt.Errorf("look it up: %w; %s", err, hint(err))
}

// verifiedAbsent reports whether every bin that may hold target p is
// verified and lacks it: then the repository really does not carry it.
func (c *Client) verifiedAbsent(p string) bool {
	tm := c.up.GetTrustedMetadataSet()
	top := tm.Targets[metadata.TARGETS]
	if top == nil {
		return false
	}
	if _, ok := top.Signed.Targets[p]; ok {
		return false
	}
	if top.Signed.Delegations == nil {
		return true
	}
	for _, r := range top.Signed.Delegations.GetRolesForTarget(p) {
		bin := tm.Targets[r.Name]
		if bin == nil {
			return false
		}
		if _, ok := bin.Signed.Targets[p]; ok {
			return false
		}
	}
	return true
}
