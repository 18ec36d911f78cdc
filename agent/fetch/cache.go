package fetch

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"

	"github.com/upkeep-erp/upkeep/platform"
)

// Cache layout under CacheDir/<repository>/: metadata/ holds the verified
// TUF metadata (go-tuf's cache: root.json, timestamp.json, snapshot.json,
// targets.json, bins-XX.json), targets/ the verified listings, and http/
// the ETag of the timestamp those were verified from.
const etagFile = "timestamp.etag"

// trustedRoot returns the newest valid root: the cached one (the updater
// persists every root it verifies) when its version is higher than
// Config.TrustedRoot's, else Config.TrustedRoot. Handing the updater an
// older root than the cache holds would overwrite the newer one.
func (c *Client) trustedRoot() []byte {
	cached, err := os.ReadFile(filepath.Join(c.dir, "metadata", "root.json"))
	if err != nil || rootVersion(cached) <= c.rootV {
		return c.cfg.TrustedRoot
	}
	return cached
}

// rootVersion is the version of a self-signed root, or -1.
func rootVersion(data []byte) int64 {
	tm, err := trustedmetadata.New(data)
	if err != nil {
		return -1
	}
	return tm.Root.Signed.Version
}

func (c *Client) cachedTimestamp() ([]byte, error) {
	return os.ReadFile(filepath.Join(c.dir, "metadata", "timestamp.json"))
}

// stillCached returns ts when the cache holds it as the timestamp after a
// refresh (the updater persists only the timestamps it takes; another
// process may have refreshed meanwhile), else nil.
func (c *Client) stillCached(ts []byte) []byte {
	cached, err := c.cachedTimestamp()
	if err != nil || ts == nil || !bytes.Equal(cached, ts) {
		return nil
	}
	return cached
}

// loadETag returns the ETag of the last verified timestamp, or "" when
// there is none; Check sends it only while a cached timestamp stands for it.
func (c *Client) loadETag() string {
	data, err := os.ReadFile(filepath.Join(c.dir, "http", etagFile))
	if err != nil {
		return ""
	}
	return validETag(strings.TrimSpace(string(data)))
}

// saveETag records etag after a successful refresh, or forgets the old one
// when the server sent none.
func (c *Client) saveETag(etag string) error {
	p := filepath.Join(c.dir, "http", etagFile)
	if validETag(etag) == "" {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove %s: %w", p, err)
		}
		return nil
	}
	if err := platform.WriteFileAtomic(p, []byte(etag+"\n"), 0o600); err != nil {
		return fmt.Errorf("save ETag (check the cache folder %s): %w", c.dir, err)
	}
	return nil
}

// validETag returns etag when it is safe to send back, else "".
func validETag(etag string) string {
	if etag == "" || len(etag) > 256 {
		return ""
	}
	for i := 0; i < len(etag); i++ {
		if etag[i] < 0x21 || etag[i] > 0x7e {
			return ""
		}
	}
	return etag
}
