package backend

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

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
// file (keeping its mode and owner) and uses the new configuration.
func (b *Backend) SetSettings(_ context.Context, up api.SettingsUpdate, _ api.Caller) (*api.Settings, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	path := b.cfg.Path()
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
	c, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("read the saved configuration back: %w", err)
	}
	restart := c.API != b.cfg.API || c.State != b.cfg.State
	b.cfg = c
	if b.o.OnReload != nil {
		b.o.OnReload(c)
	}
	masked, _ := maskSecrets(up.TOML)
	return &api.Settings{Path: path, Revision: revision([]byte(up.TOML)), TOML: masked, RestartNeeded: restart}, nil
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
