package repo

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Role is what a token may do.
type Role string

// Token roles.
const (
	RoleAdmin     Role = "admin"     // everything
	RolePublisher Role = "publisher" // publish versions of its own modules
)

// Actor is who performs a write: a token's owner, or a local admin at the CLI.
type Actor struct {
	Name    string
	Role    Role
	Modules []string // publisher: the module names it may publish
}

// LocalActor is an admin working directly on the repository directory.
func LocalActor(user string) Actor { return Actor{Name: "local:" + user, Role: RoleAdmin} }

// CanPublish reports whether the actor may publish versions of module.
func (a Actor) CanPublish(module string) bool {
	return a.Role == RoleAdmin || (a.Role == RolePublisher && slices.Contains(a.Modules, module))
}

func (a Actor) requireAdmin(action string) error {
	if a.Role != RoleAdmin {
		return errorf(KindForbidden, "%s needs an admin token; %s is a %s: ask a repository admin", action, a.Name, a.Role)
	}
	return nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// AddToken creates a token and returns it; only its hash is stored, so it
// cannot be shown again.
func (s *Store) AddToken(ctx context.Context, name string, role Role, modules []string) (string, error) {
	if role != RoleAdmin && role != RolePublisher {
		return "", errorf(KindInvalid, "token role %q: use admin or publisher", role)
	}
	if role == RolePublisher && len(modules) == 0 {
		return "", errorf(KindInvalid, "a publisher token needs the modules it may publish (--modules a,b)")
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("rand.Read: %w", err)
	}
	token := "upk_" + base64.RawURLEncoding.EncodeToString(buf)
	_, err := s.db.ExecContext(ctx, "INSERT INTO tokens (name, role, modules, hash, created_at) VALUES (?, ?, ?, ?, ?)",
		name, string(role), strings.Join(modules, ","), hashToken(token), s.stamp())
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return "", errorf(KindConflict, "a token named %q exists; choose another name or revoke it first", name)
		}
		return "", fmt.Errorf("insert token: %w", err)
	}
	return token, nil
}

// Authenticate returns the actor of a bearer token.
func (s *Store) Authenticate(ctx context.Context, token string) (Actor, error) {
	if token == "" {
		return Actor{}, errorf(KindUnauthorized, "no token: send 'Authorization: Bearer <token>'")
	}
	var row struct {
		Name    string `db:"name"`
		Role    string `db:"role"`
		Modules string `db:"modules"`
	}
	err := s.db.GetContext(ctx, &row, "SELECT name, role, modules FROM tokens WHERE hash = ? AND revoked_at IS NULL", hashToken(token))
	if errors.Is(err, sql.ErrNoRows) {
		return Actor{}, errorf(KindUnauthorized, "unknown or revoked token: ask a repository admin for a valid one")
	}
	if err != nil {
		return Actor{}, fmt.Errorf("look up token: %w", err)
	}
	a := Actor{Name: row.Name, Role: Role(row.Role)}
	if row.Modules != "" {
		a.Modules = strings.Split(row.Modules, ",")
	}
	return a, nil
}

// RevokeToken disables a token by name.
func (s *Store) RevokeToken(ctx context.Context, name string) error {
	res, err := s.db.ExecContext(ctx, "UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", s.stamp(), name)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errorf(KindNotFound, "no active token named %q", name)
	}
	return nil
}

// TokenInfo describes a token without revealing it.
type TokenInfo struct {
	Name      string  `db:"name" json:"name"`
	Role      string  `db:"role" json:"role"`
	Modules   string  `db:"modules" json:"modules,omitempty"`
	CreatedAt string  `db:"created_at" json:"created_at"`
	RevokedAt *string `db:"revoked_at" json:"revoked_at,omitempty"`
}

// Tokens lists every token.
func (s *Store) Tokens(ctx context.Context) ([]TokenInfo, error) {
	var out []TokenInfo
	if err := s.db.SelectContext(ctx, &out, "SELECT name, role, modules, created_at, revoked_at FROM tokens ORDER BY name"); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}
