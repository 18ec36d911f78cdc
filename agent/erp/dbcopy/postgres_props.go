package dbcopy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// errNoDatabase says the database whose properties were asked for is gone.
var errNoDatabase = errors.New("no such database")

// dbProps is what a database carries outside its content, which neither a
// template clone nor pg_dump (without --create) copies: its owner, locale,
// per-database settings (ALTER DATABASE SET) and privileges.
type dbProps struct {
	owner, encoding, collate, ctype string
	provider, iculocale             string // PostgreSQL 15+: "i" for ICU
	settings                        []string
	acl                             []aclItem // nil: the default privileges
}

type aclItem struct {
	grantee, privilege string // grantee "" is PUBLIC
	grantable          bool
}

// readProps reads name's properties; errNoDatabase when it does not exist.
func readProps(ctx context.Context, conn *pgx.Conn, name string) (*dbProps, error) {
	var raw []byte
	var owner string
	err := conn.QueryRow(ctx, "SELECT to_jsonb(d), pg_get_userbyid(d.datdba) FROM pg_database d WHERE d.datname = $1", name).Scan(&raw, &owner)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNoDatabase
	}
	if err != nil {
		return nil, fmt.Errorf("dbcopy: read the properties of database %s: %w", name, err)
	}
	var d struct {
		Encoding  int             `json:"encoding"`
		Collate   string          `json:"datcollate"`
		CType     string          `json:"datctype"`
		Provider  string          `json:"datlocprovider"`
		ICULocale *string         `json:"daticulocale"`
		ACL       json.RawMessage `json:"datacl"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("dbcopy: decode pg_database for %s: %w", name, err)
	}
	p := &dbProps{owner: owner, collate: d.Collate, ctype: d.CType, provider: d.Provider}
	if d.ICULocale != nil {
		p.iculocale = *d.ICULocale
	}
	if err := conn.QueryRow(ctx, "SELECT pg_encoding_to_char($1::int)", d.Encoding).Scan(&p.encoding); err != nil {
		return nil, fmt.Errorf("dbcopy: read the encoding of %s: %w", name, err)
	}
	if err := p.readSettings(ctx, conn, name); err != nil {
		return nil, err
	}
	if len(d.ACL) > 0 && string(d.ACL) != "null" {
		if err := p.readACL(ctx, conn, name); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *dbProps) readSettings(ctx context.Context, conn *pgx.Conn, name string) error {
	rows, err := conn.Query(ctx, `SELECT unnest(s.setconfig) FROM pg_db_role_setting s
		JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = $1 AND s.setrole = 0`, name)
	if err != nil {
		return fmt.Errorf("dbcopy: read the settings of %s: %w", name, err)
	}
	p.settings, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("dbcopy: read the settings of %s: %w", name, err)
	}
	return nil
}

func (p *dbProps) readACL(ctx context.Context, conn *pgx.Conn, name string) error {
	rows, err := conn.Query(ctx, `SELECT coalesce(r.rolname, ''), a.privilege_type, a.is_grantable
		FROM pg_database d CROSS JOIN LATERAL aclexplode(d.datacl) a
		LEFT JOIN pg_roles r ON r.oid = a.grantee WHERE d.datname = $1`, name)
	if err != nil {
		return fmt.Errorf("dbcopy: read the privileges of %s: %w", name, err)
	}
	p.acl, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (aclItem, error) {
		var a aclItem
		err := r.Scan(&a.grantee, &a.privilege, &a.grantable)
		return a, err
	})
	if err != nil {
		return fmt.Errorf("dbcopy: read the privileges of %s: %w", name, err)
	}
	if p.acl == nil {
		p.acl = []aclItem{} // an explicit empty list: every privilege revoked
	}
	return nil
}

// createOptions are the CREATE DATABASE options that make a database from
// template0 like the one p describes.
func (p *dbProps) createOptions() string {
	var b strings.Builder
	if p.owner != "" {
		b.WriteString(" OWNER " + ident(p.owner))
	}
	if p.encoding != "" {
		fmt.Fprintf(&b, " ENCODING %s LC_COLLATE %s LC_CTYPE %s", literal(p.encoding), literal(p.collate), literal(p.ctype))
	}
	if p.provider == "i" {
		fmt.Fprintf(&b, " LOCALE_PROVIDER icu ICU_LOCALE %s", literal(p.iculocale))
	}
	return b.String()
}

// listSettings are the settings whose stored text is a list to write as it is.
var listSettings = map[string]bool{"search_path": true, "temp_tablespaces": true,
	"session_preload_libraries": true, "local_preload_libraries": true}

// apply gives database name p's settings and privileges.
func (p *dbProps) apply(ctx context.Context, conn *pgx.Conn, name string) error {
	db := ident(name)
	stmts := []string{"ALTER DATABASE " + db + " RESET ALL"}
	for _, s := range p.settings {
		k, v, _ := strings.Cut(s, "=")
		if !listSettings[k] {
			v = literal(v)
		}
		stmts = append(stmts, "ALTER DATABASE "+db+" SET "+ident(k)+" TO "+v)
	}
	if p.acl != nil {
		stmts = append(stmts, "REVOKE ALL ON DATABASE "+db+" FROM PUBLIC")
		if p.owner != "" {
			stmts = append(stmts, "REVOKE ALL ON DATABASE "+db+" FROM "+ident(p.owner))
		}
		for _, a := range p.acl {
			stmts = append(stmts, a.grant(db))
		}
	}
	for _, s := range stmts {
		if err := exec1(ctx, conn, s); err != nil {
			return err
		}
	}
	return nil
}

func (a aclItem) grant(db string) string {
	to := "PUBLIC"
	if a.grantee != "" {
		to = ident(a.grantee)
	}
	s := "GRANT " + a.privilege + " ON DATABASE " + db + " TO " + to
	if a.grantable {
		s += " WITH GRANT OPTION"
	}
	return s
}

// literal quotes s as an SQL string literal.
func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
