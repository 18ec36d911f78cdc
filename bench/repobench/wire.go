package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/upkeep-erp/upkeep/agent/fetch"
	"github.com/upkeep-erp/upkeep/catalog/synth"
	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// measureWire prints the bytes an agent of the 2.50 repository moves over
// loopback HTTP: a cold check with the listings of its installed modules,
// a check when nothing changed, and a check after one module changed.
func measureWire(ctx context.Context, s *repo.Store, installed, total int) error {
	h, err := repo.NewServer(s, nil)
	if err != nil {
		return err
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	root, err := os.ReadFile(filepath.Join(s.Dir(), "root.json"))
	if err != nil {
		return err
	}
	cache, err := os.MkdirTemp("", "repobench-agent-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(cache)
	c, err := fetch.New(fetch.Config{BaseURL: srv.URL, Repository: "2.50", TrustedRoot: root, CacheDir: cache})
	if err != nil {
		return err
	}
	if err := step(ctx, c, "cold: check + listings of core and "+fmt.Sprint(installed)+" installed modules", modules(installed, total)); err != nil {
		return err
	}
	if err := step(ctx, c, "nothing changed: check", nil); err != nil {
		return err
	}
	changed := synth.ModuleName(3)
	m := sample.Module{Name: changed, Version: "1.1.7", Summary: "one more patch", DefaultUpgrade: true, Maturity: "beta", Depends: []string{"core>=2.50.0"}}
	data, err := m.Archive()
	if err != nil {
		return err
	}
	if _, err := s.Publish(ctx, data, repo.LocalActor("bench")); err != nil {
		return err
	}
	return step(ctx, c, "one module changed: check + its listing", []string{changed})
}

// modules spreads n installed modules evenly over the catalog's total.
func modules(n, total int) []string {
	out := []string{"core"}
	for i := 0; i < n; i++ {
		out = append(out, synth.ModuleName(i*(total/n)))
	}
	return out
}

func step(ctx context.Context, c *fetch.Client, what string, listings []string) error {
	c.ResetStats()
	if _, err := c.Check(ctx); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	for _, m := range listings {
		if _, err := c.Listing(ctx, m); err != nil {
			return fmt.Errorf("%s: listing %s: %w", what, m, err)
		}
	}
	st := c.Stats()
	fmt.Printf("  %-62s %4d requests (%d answered 304), %9d bytes on the wire, %9d decompressed\n",
		what, st.Requests, st.NotModified, st.WireBytes, st.Bytes)
	return nil
}
