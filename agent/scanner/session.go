package scanner

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/fetch"
)

// session is one scan's use of the repositories: each client is checked
// once per scan, and clients outlive the scan (see clients).
type session struct {
	c       *config.Config
	checked map[*fetch.Client]fetch.Status
}

func newSession(c *config.Config) *session {
	return &session{c: c, checked: map[*fetch.Client]fetch.Status{}}
}

// series returns the client of a series repository, checked in this scan.
func (s *session) series(ctx context.Context, repository string) (*fetch.Client, error) {
	cfg, err := seriesConfig(s.c, repository)
	if err != nil {
		return nil, err
	}
	cl, err := clients.get(cfg)
	if err != nil {
		return nil, withClass(ErrConfig, err)
	}
	if err := s.check(ctx, cl); err != nil {
		return nil, classify(err)
	}
	return cl, nil
}

// private returns the client of a private repository, checked in this
// scan, and its label.
func (s *session) private(ctx context.Context, p config.Private) (*fetch.Client, string, error) {
	cfg, label, err := privateConfig(s.c, p)
	if err != nil {
		return nil, "", err
	}
	cl, err := clients.get(cfg)
	if err != nil {
		return nil, "", withClass(ErrConfig, err)
	}
	if err := s.check(ctx, cl); err != nil {
		return nil, "", fmt.Errorf("private repository %s: %w", label, classify(err))
	}
	return cl, label, nil
}

func (s *session) check(ctx context.Context, cl *fetch.Client) error {
	if _, ok := s.checked[cl]; ok {
		return nil
	}
	st, err := cl.Check(ctx)
	if err != nil {
		return err
	}
	s.checked[cl] = st
	return nil
}

// clients keeps the scans' repository clients for the process's life: a
// client that finds its repository unchanged keeps the metadata it
// verified (fetch.Client.Check) and its HTTP connections, so a periodic
// scan of an unchanged repository reads and verifies nothing again. A
// client is keyed by everything it was made from, so a changed
// configuration, trusted root or token makes a new one.
var clients = clientCache{m: map[clientKey]*fetch.Client{}}

// maxClients bounds the cache; past it, it starts over.
const maxClients = 32

type clientKey struct {
	url, repository, cacheDir, token string
	root                             [sha256.Size]byte
	deadlines                        fetch.Deadlines
}

type clientCache struct {
	mu sync.Mutex
	m  map[clientKey]*fetch.Client
}

// get returns the cached client for cfg or a new one.
func (cc *clientCache) get(cfg fetch.Config) (*fetch.Client, error) {
	k := clientKey{url: cfg.BaseURL, repository: cfg.Repository, cacheDir: cfg.CacheDir, token: cfg.Token,
		root: sha256.Sum256(cfg.TrustedRoot), deadlines: cfg.Deadlines}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cl, ok := cc.m[k]; ok {
		return cl, nil
	}
	cl, err := fetch.New(cfg)
	if err != nil {
		return nil, err
	}
	if len(cc.m) >= maxClients {
		clear(cc.m)
	}
	cc.m[k] = cl
	return cl, nil
}
