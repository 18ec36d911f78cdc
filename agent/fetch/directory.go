package fetch

import (
	"context"
	"fmt"

	"github.com/upkeep-erp/upkeep/catalog"
)

// directoryPath is the TUF target listing every repository of the central
// repository (see repo.DirectoryPath).
const directoryPath = "repositories.json"

// Directory returns the verified list of the central repository's
// repositories, as this repository signs it: the agent learns from its own
// series' repository which newer series exist. A repository published before
// directories existed yields ErrNotFound.
func (c *Client) Directory(ctx context.Context) (*catalog.Directory, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.up == nil {
		if _, err := c.check(ctx); err != nil {
			return nil, fmt.Errorf("read the list of repositories from repository %s: %w", c.cfg.Repository, err)
		}
	}
	c.ucfg.Fetcher = c.fetch.WithContext(ctx)
	info, err := c.up.GetTargetInfo(directoryPath)
	if err != nil {
		if c.verifiedAbsent(directoryPath) {
			return nil, fmt.Errorf("read the list of repositories from repository %s: %w", c.cfg.Repository, &NotFoundError{Module: directoryPath, Repository: c.cfg.Repository})
		}
		return nil, fmt.Errorf("look up the list of repositories in repository %s: %w; %s", c.cfg.Repository, err, hint(err))
	}
	if info.Length > c.limits.Listing {
		return nil, &TooLargeError{URL: c.targetsURL + "/" + info.Path, Limit: c.limits.Listing, Size: info.Length}
	}
	_, data, err := c.up.FindCachedTarget(info, "")
	if err == nil && data == nil {
		_, data, err = c.up.DownloadTarget(info, "", "")
	}
	if err != nil {
		return nil, fmt.Errorf("download the list of repositories from repository %s: %w; %s", c.cfg.Repository, err, hint(err))
	}
	return catalog.ParseDirectory(data)
}
