package backend

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/platform"
)

// Settings returns the configuration file, with the passwords and secret
// query values of its URLs masked (any caller may read it). Secrets
// themselves live in files the file only names (token_file,
// password_file, webhook_secret_file), never read here.
func (b *Backend) Settings(context.Context) (*api.Settings, error) {
	path := b.config().Path()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the configuration: %w", err)
	}
	masked, _ := maskSecrets(string(data))
	return &api.Settings{Path: path, Revision: revision(data), TOML: masked}, nil
}

// SetSettings validates the new file, refuses a stale revision, saves the
// file (keeping its mode and owner) and puts it in use as Reload does.
// When the agent cannot use it, the old file is put back.
func (b *Backend) SetSettings(ctx context.Context, up api.SettingsUpdate, _ api.Caller) (*api.Settings, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	path := b.latest().Path()
	if path == "" {
		return nil, errors.New("the agent's configuration was not read from a file, so there is none to save")
	}
	old, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the configuration: %w", err)
	}
	if up.Revision != revision(old) {
		return nil, &api.ConflictError{Message: "the configuration changed since you read it: read it again (GET /v1/settings) and redo your change"}
	}
	up.TOML = unmaskSecrets(up.TOML, string(old))
	if _, err := config.Parse([]byte(up.TOML), filepath.Dir(path)); err != nil {
		return nil, &api.BadRequestError{Message: fmt.Sprintf("the new configuration is not valid, nothing was saved: %v", err)}
	}
	if err := save(path, []byte(up.TOML)); err != nil {
		return nil, err
	}
	r, err := b.reloadLocked(ctx)
	if err != nil {
		if rerr := save(path, old); rerr != nil {
			return nil, fmt.Errorf("the agent cannot use the new configuration (%w), and putting the old file back failed: %w", err, rerr)
		}
		return nil, &api.BadRequestError{Message: fmt.Sprintf("the agent cannot use the new configuration, the old file is back: %v", err)}
	}
	masked, _ := maskSecrets(up.TOML)
	return &api.Settings{Path: path, Revision: revision([]byte(up.TOML)), TOML: masked, RestartNeeded: len(r.Restart) > 0, Reload: r}, nil
}

// save replaces the file atomically with the old file's mode and owner.
func save(path string, data []byte) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("stat the configuration: %w", err)
	}
	if err := platform.WriteFileAtomic(path, data, fi.Mode().Perm()); err != nil {
		return err
	}
	return platform.ChownLike(path, fi)
}

func revision(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Reload reads the configuration file again, checks it as at start and
// uses it: OnReload (the agent's schedule and notifiers) takes it first,
// then the scans and runs started from now on. A run in progress keeps
// the configuration it started with, and [api] and [state] keep theirs
// until the agent's next start. A file that is not valid changes nothing:
// the BadRequestError names the key and the fix.
func (b *Backend) Reload(ctx context.Context, _ api.Caller) (*api.Reloaded, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reloadLocked(ctx)
}

// reloadLocked is Reload with b.mu held.
func (b *Backend) reloadLocked(context.Context) (*api.Reloaded, error) {
	cur := b.latest()
	path := cur.Path()
	if path == "" {
		return nil, &api.NotAvailableError{Feature: "reload", Message: "the agent's configuration was not read from a file, so there is none to read again"}
	}
	c, err := config.Load(path)
	if err == nil && b.o.OnReload != nil {
		err = b.o.OnReload(c)
	}
	if err != nil {
		return nil, &api.BadRequestError{Message: fmt.Sprintf("the configuration was not reloaded; the agent goes on with the one in use: %v", err)}
	}
	out := &api.Reloaded{Config: path}
	out.Changed, out.Restart = changedSections(cur, c)
	if len(out.Restart) > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("the changes to [%s] take effect at the agent's next start (upkeep service stop, then start)",
			strings.Join(out.Restart, "], [")))
	}
	next := forNow(c, cur)
	if b.runs.current() != nil {
		b.next = next
		out.Notes = append(out.Notes, "the run in progress keeps the configuration it started with; the scans and runs after it use the new one")
	} else {
		b.cfg, b.next = next, nil
	}
	b.o.Log.Info("configuration reloaded", "config", path, "changed", out.Changed, "restart_needed", out.Restart)
	return out, nil
}

// latest is the newest configuration read: the one waiting for the run in
// progress to end, else the one in use. b.mu is held.
func (b *Backend) latest() *config.Config {
	if b.next != nil {
		return b.next
	}
	return b.cfg
}

// changedSections names the sections of the file that differ between old
// and c: those in use at once, and those ([api], [state]) that wait for
// the next start.
func changedSections(old, c *config.Config) (changed, restart []string) {
	ov, nv := reflect.ValueOf(*old), reflect.ValueOf(*c)
	for i := range ov.NumField() {
		f := ov.Type().Field(i)
		if !f.IsExported() || reflect.DeepEqual(ov.Field(i).Interface(), nv.Field(i).Interface()) {
			continue
		}
		switch name := f.Tag.Get("toml"); name {
		case "api", "state":
			restart = append(restart, name)
		default:
			changed = append(changed, name)
		}
	}
	return changed, restart
}

// forNow is c with the [api] and [state] sections of the running
// configuration: the local API's socket and the state store change only
// at the next start.
func forNow(c, running *config.Config) *config.Config {
	out := *c
	out.API, out.State = running.API, running.State
	return &out
}
