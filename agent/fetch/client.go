package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/config"
	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/updater"
)

// Config says where a repository is and what to trust.
type Config struct {
	BaseURL     string       // http://, https:// or file:// URL of the repository's public tree
	Repository  string       // repository name, e.g. "2.50"
	TrustedRoot []byte       // the root.json the repository's operator published
	CacheDir    string       // where verified metadata is kept, one folder per repository
	Token       string       // sent as "Authorization: Bearer TOKEN" when set (a private repository's reader token)
	HTTPClient  *http.Client // nil: the fetcher's own, with Deadlines.Connect on every connection
	Now         func() time.Time
	Limits      Limits    // zero fields: DefaultLimits
	Deadlines   Deadlines // zero fields: DefaultDeadlines; they hold whatever the HTTPClient
}

// Limits caps the size of each kind of download, in bytes after
// decompression.
type Limits struct {
	Root, Timestamp, Snapshot, Targets, Listing, Archive int64
}

// DefaultLimits are the caps used for zero Limits fields.
func DefaultLimits() Limits {
	return Limits{Root: 512 << 10, Timestamp: 16 << 10, Snapshot: 4 << 20, Targets: 4 << 20, Listing: 8 << 20, Archive: 256 << 20}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	for _, p := range []struct{ v, d *int64 }{
		{&l.Root, &d.Root}, {&l.Timestamp, &d.Timestamp}, {&l.Snapshot, &d.Snapshot},
		{&l.Targets, &d.Targets}, {&l.Listing, &d.Listing}, {&l.Archive, &d.Archive},
	} {
		if *p.v <= 0 {
			*p.v = *p.d
		}
	}
	return l
}

// Status is what Check found.
type Status struct {
	Changed          bool      // the repository changed since the last verified state
	TimestampVersion int64     // version of the trusted timestamp
	Expires          time.Time // when the trusted timestamp expires
}

// Client reads one repository. It is safe for concurrent use; Check and
// Listing run one at a time.
type Client struct {
	cfg        Config
	limits     Limits
	dir        string // CacheDir/<repository>
	base       string // BaseURL without a trailing slash
	metaURL    string
	targetsURL string
	rootV      int64 // version of Config.TrustedRoot
	fetch      *Fetcher
	now        func() time.Time

	mu   sync.Mutex
	up   *updater.Updater // verified state of the last successful Check; nil after a failed one
	ucfg *config.UpdaterConfig
	upTS []byte // the cached timestamp.json up was verified from; nil when unknown
}

// New checks cfg and returns a client; it makes no request.
func New(cfg Config) (*Client, error) {
	base, err := checkConfig(cfg)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, limits: cfg.Limits.withDefaults(), base: base, now: cfg.Now,
		dir: filepath.Join(cfg.CacheDir, cfg.Repository), rootV: rootVersion(cfg.TrustedRoot)}
	c.metaURL = base + "/" + url.PathEscape(cfg.Repository) + "/metadata"
	c.targetsURL = base + "/" + url.PathEscape(cfg.Repository) + "/targets"
	c.fetch = NewFetcher(cfg.HTTPClient, c.limits, cfg.Deadlines)
	c.fetch.token = cfg.Token
	if c.now == nil {
		c.now = time.Now
	}
	for _, d := range []string{"metadata", "targets", "http"} {
		if err := os.MkdirAll(filepath.Join(c.dir, d), 0o700); err != nil {
			return nil, fmt.Errorf("create the repository metadata cache (in the agent's state folder, state.dir): %w", err)
		}
	}
	return c, nil
}

// checkConfig validates cfg and returns the base URL without a trailing slash.
func checkConfig(cfg Config) (string, error) {
	u, err := url.Parse(cfg.BaseURL)
	switch {
	case cfg.BaseURL == "":
		return "", errors.New("the repository URL (repository.url) is empty; give the repository's http(s):// or file:// URL")
	case err != nil:
		return "", fmt.Errorf("the repository URL (repository.url) %q is not a URL: %w", cfg.BaseURL, err)
	case u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file":
		return "", fmt.Errorf("the repository URL (repository.url) %q must start with http://, https:// or file://", cfg.BaseURL)
	case u.Scheme == "file" && (u.Host != "" && u.Host != "localhost" || !strings.HasPrefix(u.Path, "/")):
		return "", fmt.Errorf("the repository URL (repository.url) %q: a file URL needs an absolute path, e.g. file:///srv/upkeep", cfg.BaseURL)
	case u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("the repository URL (repository.url) %q: remove the query or fragment", cfg.BaseURL)
	}
	if err := checkRepository(cfg.Repository); err != nil {
		return "", err
	}
	if err := checkRoot(cfg.TrustedRoot); err != nil {
		return "", err
	}
	if cfg.CacheDir == "" {
		return "", errors.New("the metadata cache folder is empty; give a folder this program may write to (state.dir)")
	}
	l := cfg.Limits
	if l.Root < 0 || l.Timestamp < 0 || l.Snapshot < 0 || l.Targets < 0 || l.Listing < 0 || l.Archive < 0 {
		return "", fmt.Errorf("a size cap is negative (%+v); use 0 for the default", l)
	}
	if d := cfg.Deadlines; d.Connect < 0 || d.MinSpeed < 0 || d.Window < 0 || d.Grace < 0 {
		return "", fmt.Errorf("a download deadline is negative (repository.deadlines: %+v); use 0 for the default", d)
	}
	if strings.ContainsAny(cfg.Token, "\r\n") {
		return "", errors.New("the token holds a line break; give the token alone in its file (token_file)")
	}
	return strings.TrimSuffix(cfg.BaseURL, "/"), nil
}

func checkRepository(name string) error {
	if name == "" {
		return errors.New(`the repository's name is empty; name the repository, e.g. "2.50" (repository.subscriptions)`)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			return fmt.Errorf("the repository name %q: use letters, digits, '.', '-' and '_' only", name)
		}
	}
	if name == "." || name == ".." {
		return fmt.Errorf("%q is not a repository name", name)
	}
	return nil
}

func checkRoot(root []byte) error {
	if len(root) == 0 {
		return errors.New("the trusted root (repository.trusted_root) is empty; give the root.json the repository's operator published (upkeep-repo init prints its path)")
	}
	if _, err := trustedmetadata.New(root); err != nil {
		return fmt.Errorf("the trusted root (repository.trusted_root) is not valid, self-signed root metadata (%w); get root.json again from the operator", err)
	}
	return nil
}

// Stats returns the download counters.
func (c *Client) Stats() Stats { return c.fetch.Stats() }

// ResetStats zeroes the download counters.
func (c *Client) ResetStats() { c.fetch.ResetStats() }

// Check asks whether the repository changed, with one conditional GET of
// its timestamp.json.
//
// On 304 Not Modified (or an identical body, as from a file:// tree) it
// makes no other request. When this client verified that very timestamp at
// its last Check, and the cache still holds it, it keeps that verified state
// after checking that nothing in it has expired: an unchanged repository
// costs no reading or verifying of metadata. Otherwise it re-verifies the
// cached metadata against the trusted root — signatures and expiry. Either
// way an expired timestamp is an error (a freeze attack cannot hide behind a
// 304), and Changed is false. A 304 cannot hide a root rotation: the
// repository re-signs every repository's timestamp on every change, root
// rotation included, so an unchanged timestamp means nothing at all changed.
//
// On 200 it runs the full TUF refresh (new roots, timestamp, snapshot,
// top-level targets; bins are fetched later, one per Listing) and reports
// Changed true.
func (c *Client) Check(ctx context.Context) (Status, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := c.check(ctx)
	if err != nil {
		return Status{}, fmt.Errorf("check repository %s: %w", c.cfg.Repository, err)
	}
	return st, nil
}

func (c *Client) check(ctx context.Context) (Status, error) {
	kept := verified{c.up, c.ucfg, c.upTS}
	c.up, c.ucfg, c.upTS = nil, nil, nil
	etag := c.loadETag() // before the cached timestamp: another process saves it after the timestamp
	cached, err := c.cachedTimestamp()
	if err != nil {
		cached, etag = nil, ""
	}
	var ts bytes.Buffer
	r, err := c.fetch.fetch(ctx, c.tsURL(), c.limits.Timestamp, etag, &ts)
	if err != nil {
		return Status{}, err
	}
	if r.notModified || cached != nil && bytes.Equal(cached, ts.Bytes()) {
		if st, ok := c.keep(kept, cached); ok {
			return st, nil
		}
		st, err := c.reuse(ctx, cached)
		if err == nil || errors.Is(err, &metadata.ErrExpiredMetadata{}) || ctx.Err() != nil {
			return st, err
		}
		// The cache is damaged (say, a refresh died half-way); start over.
		if r.notModified {
			ts.Reset()
			if r, err = c.fetch.fetch(ctx, c.tsURL(), c.limits.Timestamp, "", &ts); err != nil {
				return Status{}, err
			}
		}
	}
	return c.refresh(ctx, ts.Bytes(), r.etag)
}

// verified is a client's verified state: the updater, its configuration
// and the cached timestamp it was verified from.
type verified struct {
	up   *updater.Updater
	ucfg *config.UpdaterConfig
	ts   []byte
}

// keep takes back v, the state of the last Check, when cached (the cached
// timestamp, which the server still serves) is the timestamp v was verified
// from and nothing v holds has expired. Bins v verified stay verified: the
// snapshot that pins them is the same.
func (c *Client) keep(v verified, cached []byte) (Status, bool) {
	if v.up == nil || v.ts == nil || cached == nil || !bytes.Equal(v.ts, cached) {
		return Status{}, false
	}
	now := c.now().UTC()
	if expired(v.up.GetTrustedMetadataSet(), now) {
		return Status{}, false // reuse says which one, as the error
	}
	v.up.UnsafeSetRefTime(now)
	c.up, c.ucfg, c.upTS = v.up, v.ucfg, v.ts
	return status(v.up, false), true
}

// expired reports whether any metadata in tm has expired at now (or is
// missing).
func expired(tm trustedmetadata.TrustedMetadata, now time.Time) bool {
	if tm.Root == nil || tm.Timestamp == nil || tm.Snapshot == nil || tm.Targets[metadata.TARGETS] == nil {
		return true
	}
	if tm.Root.Signed.IsExpired(now) || tm.Timestamp.Signed.IsExpired(now) || tm.Snapshot.Signed.IsExpired(now) {
		return true
	}
	for _, t := range tm.Targets {
		if t.Signed.IsExpired(now) {
			return true
		}
	}
	return false
}

func (c *Client) tsURL() string { return c.metaURL + "/" + metadata.TIMESTAMP + ".json" }

// reuse verifies the cached metadata without a request; cached is the
// cached timestamp read before.
func (c *Client) reuse(ctx context.Context, cached []byte) (Status, error) {
	up, ucfg, err := c.newUpdater(c.fetch.WithContext(ctx), true)
	if err != nil {
		return Status{}, err
	}
	if err := up.Refresh(); err != nil {
		return Status{}, fmt.Errorf("verify cached metadata: %w; %s", err, hint(err))
	}
	c.up, c.ucfg, c.upTS = up, ucfg, c.stillCached(cached)
	return status(up, false), nil
}

// refresh runs the TUF refresh, handing it the timestamp already downloaded.
func (c *Client) refresh(ctx context.Context, ts []byte, etag string) (Status, error) {
	if err := checkBoundRepository(ts, c.cfg.Repository); err != nil {
		return Status{}, err
	}
	f := c.fetch.WithContext(ctx).withPreload(c.tsURL(), ts)
	up, ucfg, err := c.newUpdater(f, false)
	if err != nil {
		return Status{}, err
	}
	if err := up.Refresh(); err != nil {
		return Status{}, fmt.Errorf("verify the metadata: %w; %s", err, hint(err))
	}
	if err := c.saveETag(etag); err != nil {
		return Status{}, err
	}
	c.up, c.ucfg, c.upTS = up, ucfg, c.stillCached(ts)
	return status(up, true), nil
}

func status(up *updater.Updater, changed bool) Status {
	ts := up.GetTrustedMetadataSet().Timestamp
	return Status{Changed: changed, TimestampVersion: ts.Signed.Version, Expires: ts.Signed.Expires}
}

// newUpdater builds a go-tuf updater over the cache; local loads the
// cached top-level metadata instead of downloading it.
func (c *Client) newUpdater(f *Fetcher, local bool) (*updater.Updater, *config.UpdaterConfig, error) {
	ucfg, err := config.New(c.metaURL, c.trustedRoot())
	if err != nil {
		return nil, nil, fmt.Errorf("prepare the metadata check: %w", err)
	}
	ucfg.LocalMetadataDir = filepath.Join(c.dir, "metadata")
	ucfg.LocalTargetsDir = filepath.Join(c.dir, "targets")
	ucfg.RemoteTargetsURL = c.targetsURL
	ucfg.Fetcher = f
	ucfg.RootMaxLength, ucfg.TimestampMaxLength = c.limits.Root, c.limits.Timestamp
	ucfg.SnapshotMaxLength, ucfg.TargetsMaxLength = c.limits.Snapshot, c.limits.Targets
	ucfg.PrefixTargetsWithHash = true
	ucfg.UnsafeLocalMode = local
	up, err := updater.New(ucfg)
	if err != nil {
		return nil, nil, fmt.Errorf("start the metadata check: %w; check the trusted root (repository.trusted_root) and the cache folder %s", err, c.dir)
	}
	up.UnsafeSetRefTime(c.now().UTC())
	return up, ucfg, nil
}

// CheckTrustedRoot says whether data is root metadata the agent can trust a
// repository with: TUF root metadata, signed by its own keys. The error is
// in the admin's words.
func CheckTrustedRoot(data []byte) error {
	if len(data) == 0 {
		return errors.New("the file is empty: copy root.json from the repository ('upkeep-repo init' printed its path)")
	}
	if _, err := trustedmetadata.New(data); err != nil {
		return fmt.Errorf("it is not a repository's root metadata, signed by its own keys (%v): copy root.json from the repository again", err)
	}
	return nil
}
