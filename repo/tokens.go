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
	"time"

	"github.com/jmoiron/sqlx"
)

// Role is what a token may do.
type Role string

// Token roles.
const (
	RoleAdmin     Role = "admin"     // everything
	RolePublisher Role = "publisher" // publish versions of its own modules
	RoleReader    Role = "reader"    // read the private repositories it names
)

// Actor is who performs a write: a token's owner, or a local admin at the CLI.
type Actor struct {
	Name         string
	Role         Role
	Modules      []string // publisher: the module names it may publish
	Repositories []string // reader: the private repositories it may read
}

// LocalActor is an admin working directly on the repository directory.
func LocalActor(user string) Actor { return Actor{Name: "local:" + user, Role: RoleAdmin} }

// CanPublish reports whether the actor may publish versions of module.
func (a Actor) CanPublish(module string) bool {
	return a.Role == RoleAdmin || (a.Role == RolePublisher && slices.Contains(a.Modules, module))
}

// CanRead reports whether the actor may read private repository r.
func (a Actor) CanRead(r string) bool {
	return a.Role == RoleAdmin || (a.Role == RoleReader && slices.Contains(a.Repositories, r))
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

// TokenSpec describes a token to create.
type TokenSpec struct {
	Name         string
	Role         Role
	Modules      []string  // publisher: the modules it may publish
	Repositories []string  // reader: the private repositories it may read
	Expires      time.Time // zero: never
}

// AddToken creates a token on by's behalf and returns it; only its hash is
// stored, so it cannot be shown again. The attempt is audited.
func (s *Store) AddToken(ctx context.Context, spec TokenSpec, by Actor) (string, error) {
	var token string
	at := Attempt{Actor: by, Action: "token-add", Detail: spec.describe()}
	err := s.attempt(ctx, at, func(*Attempt) error {
		if err := by.requireAdmin("adding a token"); err != nil {
			return err
		}
		if err := s.checkSpec(ctx, spec); err != nil {
			return err
		}
		var err error
		token, err = newToken()
		if err != nil {
			return err
		}
		return s.locked(ctx, func() error {
			return s.write(ctx, func(c *change) error { return s.insertToken(c, spec, token, by) })
		})
	})
	return token, err
}

func newToken() (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("rand.Read: %w", err)
	}
	return "upk_" + base64.RawURLEncoding.EncodeToString(buf), nil
}

func (s *Store) insertToken(c *change, spec TokenSpec, token string, by Actor) error {
	var expires *string
	if !spec.Expires.IsZero() {
		e := spec.Expires.UTC().Format(time.RFC3339)
		expires = &e
	}
	err := c.exec("INSERT INTO tokens (name, role, modules, repositories, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		spec.Name, string(spec.Role), strings.Join(spec.Modules, ","), strings.Join(spec.Repositories, ","), hashToken(token), c.stamp, expires)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return errorf(KindConflict, "a token named %q exists; choose another name or revoke it first", spec.Name)
		}
		return fmt.Errorf("insert token: %w", err)
	}
	return s.audit(c, by, "token-add", "", "", spec.describe())
}

// describe is the spec as the audit log shows it.
func (t TokenSpec) describe() string {
	d := fmt.Sprintf("%s, role %s", clip(t.Name, 100), clip(string(t.Role), 40))
	if len(t.Modules) > 0 {
		d += ", modules " + clip(strings.Join(t.Modules, ","), 500)
	}
	if len(t.Repositories) > 0 {
		d += ", repositories " + clip(strings.Join(t.Repositories, ","), 500)
	}
	if !t.Expires.IsZero() {
		d += ", expires " + t.Expires.UTC().Format(time.RFC3339)
	}
	return d
}

// checkSpec refuses a token that could not be used as asked.
func (s *Store) checkSpec(ctx context.Context, t TokenSpec) error {
	switch {
	case t.Name == "" || len(t.Name) > 64 || strings.ContainsAny(t.Name, " \t\r\n,"):
		return errorf(KindInvalid, "token name %q: give a short name without spaces or commas, e.g. acme-prod", clip(t.Name, 64))
	case t.Role != RoleAdmin && t.Role != RolePublisher && t.Role != RoleReader:
		return errorf(KindInvalid, "token role %q: use admin, publisher or reader", clip(string(t.Role), 40))
	case t.Role == RolePublisher && len(t.Modules) == 0:
		return errorf(KindInvalid, "a publisher token needs the modules it may publish (--modules a,b)")
	case t.Role == RoleReader && len(t.Repositories) == 0:
		return errorf(KindInvalid, "a reader token needs the private repositories it may read (--repositories NAME,…)")
	case t.Role != RolePublisher && len(t.Modules) > 0:
		return errorf(KindInvalid, "--modules is for publisher tokens")
	case t.Role != RoleReader && len(t.Repositories) > 0:
		return errorf(KindInvalid, "--repositories is for reader tokens")
	case !t.Expires.IsZero() && !t.Expires.After(s.now()):
		return errorf(KindInvalid, "the expiry %s is already past", t.Expires.UTC().Format(time.RFC3339))
	}
	for _, r := range t.Repositories {
		kind, err := repositoryKind(s.db, r)
		if err != nil {
			return err
		}
		if kind != kindPrivate {
			return errorf(KindInvalid, "repository %q is not private: anyone may read it, no token is needed", r)
		}
	}
	return nil
}

// Authenticate returns the actor of a bearer token. When the token is
// refused, the actor still carries a label for the audit log: the token's
// name when it is revoked or expired, else a prefix of its hash (never the
// token itself).
func (s *Store) Authenticate(ctx context.Context, token string) (Actor, error) {
	if token == "" {
		return Actor{Name: "anonymous"}, errorf(KindUnauthorized, "no token: send 'Authorization: Bearer <token>'")
	}
	var row struct {
		Name    string         `db:"name"`
		Role    string         `db:"role"`
		Modules string         `db:"modules"`
		Repos   string         `db:"repositories"`
		Expires sql.NullString `db:"expires_at"`
		Revoked sql.NullString `db:"revoked_at"`
	}
	h := hashToken(token)
	err := s.db.GetContext(ctx, &row, "SELECT name, role, modules, repositories, expires_at, revoked_at FROM tokens WHERE hash = ?", h)
	if errors.Is(err, sql.ErrNoRows) {
		return Actor{Name: "unknown token (sha256 " + h[:12] + ")"}, errorf(KindUnauthorized, "unknown token: ask a repository admin for a valid one")
	}
	if err != nil {
		return Actor{Name: "unknown"}, fmt.Errorf("look up token: %w", err)
	}
	a := Actor{Name: row.Name, Role: Role(row.Role), Modules: splitList(row.Modules), Repositories: splitList(row.Repos)}
	if row.Revoked.Valid {
		return Actor{Name: row.Name + " (revoked)"}, errorf(KindUnauthorized, "token %s was revoked on %s: ask a repository admin for a new one", row.Name, row.Revoked.String)
	}
	if row.Expires.Valid {
		exp, err := time.Parse(time.RFC3339, row.Expires.String)
		if err != nil || !s.now().Before(exp) {
			return Actor{Name: row.Name + " (expired)"}, errorf(KindUnauthorized, "token %s expired on %s: ask a repository admin for a new one", row.Name, row.Expires.String)
		}
	}
	return a, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// RevokeToken disables a token by name on by's behalf; the attempt is audited.
func (s *Store) RevokeToken(ctx context.Context, name string, by Actor) error {
	return s.attempt(ctx, Attempt{Actor: by, Action: "token-revoke", Detail: clip(name, 100)}, func(*Attempt) error {
		if err := by.requireAdmin("revoking a token"); err != nil {
			return err
		}
		return s.locked(ctx, func() error {
			return s.write(ctx, func(c *change) error {
				res, err := c.tx.Exec("UPDATE tokens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", c.stamp, name)
				if err != nil {
					return fmt.Errorf("revoke token: %w", err)
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return errorf(KindNotFound, "no active token named %q; see 'upkeep-repo token list'", clip(name, 100))
				}
				return s.audit(c, by, "token-revoke", "", "", name)
			})
		})
	})
}

// TokenInfo describes a token without revealing it.
type TokenInfo struct {
	Name         string  `db:"name" json:"name"`
	Role         string  `db:"role" json:"role"`
	Modules      string  `db:"modules" json:"modules,omitempty"`
	Repositories string  `db:"repositories" json:"repositories,omitempty"`
	CreatedAt    string  `db:"created_at" json:"created_at"`
	ExpiresAt    *string `db:"expires_at" json:"expires_at,omitempty"`
	RevokedAt    *string `db:"revoked_at" json:"revoked_at,omitempty"`
}

// Tokens lists every token.
func (s *Store) Tokens(ctx context.Context) ([]TokenInfo, error) {
	var out []TokenInfo
	if err := s.db.SelectContext(ctx, &out, "SELECT name, role, modules, repositories, created_at, expires_at, revoked_at FROM tokens ORDER BY name"); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// Repository kinds.
const (
	kindSeries  = "series"
	kindPrivate = "private"
)

// repositoryKind returns a repository's kind, or a not-found error.
func repositoryKind(q sqlx.Queryer, name string) (string, error) {
	var kind string
	err := sqlx.Get(q, &kind, "SELECT kind FROM repositories WHERE name = ?", name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errorf(KindNotFound, "no repository %q; see 'upkeep-repo repository list'", clip(name, 100))
	}
	if err != nil {
		return "", fmt.Errorf("look up repository %s: %w", name, err)
	}
	return kind, nil
}
