package fetch

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Modules returns the names of every module the repository lists, from its
// verified metadata (the top-level targets and every hashed bin), sorted:
// what an admin may name for it. Bins not cached yet are downloaded once
// (a bin lists paths and hashes only, never the listings themselves).
func (c *Client) Modules(ctx context.Context) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.up == nil {
		if _, err := c.check(ctx); err != nil {
			return nil, err
		}
	}
	c.ucfg.Fetcher = c.fetch.WithContext(ctx)
	tm := c.up.GetTrustedMetadataSet()
	top := tm.Targets[metadata.TARGETS]
	if top == nil {
		return nil, fmt.Errorf("the repository %s has no verified targets", c.cfg.Repository)
	}
	var names []string
	names = appendModules(names, top.Signed.Targets)
	if d := top.Signed.Delegations; d != nil && d.SuccinctRoles != nil {
		if err := c.loadBins(d.SuccinctRoles); err != nil {
			return nil, err
		}
		for _, bin := range d.SuccinctRoles.GetRoles() {
			if t := c.up.GetTrustedMetadataSet().Targets[bin]; t != nil {
				names = appendModules(names, t.Signed.Targets)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// loadBins has the updater verify every hashed bin not verified yet: it
// looks up, for each, a path of that bin that names no module (the
// updater loads a bin only on the way to a path).
func (c *Client) loadBins(bins *metadata.SuccinctRoles) error {
	missing := map[string]bool{}
	for _, bin := range bins.GetRoles() {
		if c.up.GetTrustedMetadataSet().Targets[bin] == nil {
			missing[bin] = true
		}
	}
	for i := 0; len(missing) > 0 && i < 64*len(bins.GetRoles())+64; i++ {
		probe := "probe/" + strconv.Itoa(i)
		bin := bins.GetRolesForTarget(probe)[0].Name
		if !missing[bin] {
			continue
		}
		if _, err := c.up.GetTargetInfo(probe); err != nil && c.up.GetTrustedMetadataSet().Targets[bin] == nil {
			return fmt.Errorf("read the repository's list of modules: %w; %s", err, hint(err))
		}
		delete(missing, bin)
	}
	return nil
}

// appendModules adds the module names of the listing paths among targets.
func appendModules(names []string, targets map[string]*metadata.TargetFiles) []string {
	for p := range targets {
		if m, ok := strings.CutPrefix(p, "modules/"); ok {
			if m, ok := strings.CutSuffix(m, ".json"); ok && !strings.Contains(m, "/") {
				names = append(names, m)
			}
		}
	}
	return names
}
