package backend_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/api/backend"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/store"
)

func TestEventsAndTheirStream(t *testing.T) {
	b, st := newBackend(t)
	ev := store.NewEvents(st)
	b = backend.New(backend.Options{Config: configOf(t, b), Store: st, Events: ev})
	add := func(i int) {
		if _, _, err := ev.Add(ctx, store.Event{Kind: store.EventPatches, Title: fmt.Sprintf("event %d", i), NewsKey: fmt.Sprint("k", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 3; i++ {
		add(i)
	}
	got, err := b.Events(ctx, api.EventQuery{Since: 1, Limit: 5})
	if err != nil || len(got) != 2 || got[0].Summary != "event 2" || got[0].Severity != "info" || got[0].At.IsZero() {
		t.Fatalf("events since 1: %+v, %v", got, err)
	}
	c, cancel := context.WithCancel(ctx)
	seen := make(chan api.Event, 100)
	errc := make(chan error, 1)
	go func() { errc <- b.FollowEvents(c, 1, func(e api.Event) error { seen <- e; return nil }) }()
	for i := 4; i <= 600; i++ { // more than the fan-out buffers: a slow follower catches up from the store
		add(i)
	}
	for want := 2; want <= 600; want++ {
		select {
		case e := <-seen:
			if e.Summary != fmt.Sprintf("event %d", want) {
				t.Fatalf("followed %q, want event %d", e.Summary, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("event %d did not come", want)
		}
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("the stream ended with %v, want the caller's cancel", err)
	}
}

// configOf reads the backend's configuration back.
func configOf(t *testing.T, b *backend.Backend) *config.Config {
	t.Helper()
	s, err := b.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSettingsShowNoSecrets: readers see the files that hold secrets
// named, never their contents, and URLs with their credentials masked; a
// change saved from the masked text keeps the credentials.
func TestSettingsShowNoSecrets(t *testing.T) {
	b, _ := newBackend(t)
	s, err := b.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(s.Path)
	os.WriteFile(filepath.Join(dir, "hook.secret"), []byte("hmac-topsecret\n"), 0o600)
	body := s.TOML + "[notify]\nwebhook_url = \"https://bot:pa55word@hooks.example.com/in?token=s3cret&team=ops\"\nwebhook_secret_file = \"hook.secret\"\n"
	if s, err = b.SetSettings(ctx, api.SettingsUpdate{Revision: s.Revision, TOML: body}, root); err != nil {
		t.Fatal(err)
	}
	if leaks(s.TOML) {
		t.Errorf("PUT answered with secrets:\n%s", s.TOML)
	}
	s, err = b.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if leaks(s.TOML) || !strings.Contains(s.TOML, "hook.secret") || !strings.Contains(s.TOML, "https://bot:xxxxx@hooks.example.com/in?") || !strings.Contains(s.TOML, "team=ops") {
		t.Errorf("GET /v1/settings:\n%s", s.TOML)
	}
	edited := strings.Replace(s.TOML, "[state]", "[policy]\nmin_maturity_update = \"beta\"\n[state]", 1)
	if _, err := b.SetSettings(ctx, api.SettingsUpdate{Revision: s.Revision, TOML: edited}, root); err != nil {
		t.Fatal(err)
	}
	saved, _ := os.ReadFile(s.Path)
	if !strings.Contains(string(saved), "bot:pa55word@") || !strings.Contains(string(saved), "token=s3cret") || !strings.Contains(string(saved), "beta") {
		t.Errorf("a change saved from the masked text lost the credentials or the change:\n%s", saved)
	}
	s, _ = b.Settings(ctx)
	rewritten := strings.Replace(s.TOML, "bot:xxxxx@", "bot:n3w@", 1)
	if _, err := b.SetSettings(ctx, api.SettingsUpdate{Revision: s.Revision, TOML: rewritten}, root); err != nil {
		t.Fatal(err)
	}
	if saved, _ := os.ReadFile(s.Path); !strings.Contains(string(saved), "bot:n3w@") {
		t.Errorf("a rewritten password was not taken:\n%s", saved)
	}
}

func leaks(s string) bool {
	return strings.Contains(s, "pa55word") || strings.Contains(s, "s3cret") || strings.Contains(s, "topsecret")
}
