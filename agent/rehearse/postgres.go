package rehearse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgConnectTimeout bounds every connection to PostgreSQL.
const pgConnectTimeout = 10 * time.Second

// maxIdent is PostgreSQL's identifier length.
const maxIdent = 63

// CopyName returns the name of the copy of database live made for the
// rehearsal folder dir: live, "_upkeep_rehearsal_" and a hash of dir, cut
// to PostgreSQL's 63 bytes. The same folder always gives the same name, so
// a copy left by a crash is found from its folder alone.
func CopyName(live, dir string) string {
	sum := sha256.Sum256([]byte(filepath.Clean(dir)))
	suffix := "_upkeep_rehearsal_" + hex.EncodeToString(sum[:5])
	if len(live)+len(suffix) > maxIdent {
		live = live[:maxIdent-len(suffix)]
	}
	return live + suffix
}

// CopyURL returns liveURL with database name in place of its own.
func CopyURL(liveURL, name string) (string, error) {
	u, err := url.Parse(liveURL)
	if err != nil {
		return "", fmt.Errorf("the PostgreSQL URL does not parse: %w", err)
	}
	u.Path, u.RawPath = "/"+name, ""
	return u.String(), nil
}

// ClonePostgres copies the database of liveURL into a new database name on
// the same cluster without ending any session of it (a template copy would
// have to, and would disturb the running ERP): pg_dump's consistent
// snapshot is written into dir, loaded into name by pg_restore in one
// transaction, then removed. The copy gets live's owner, encoding and
// locale. A database name left by an earlier attempt is dropped first.
func ClonePostgres(ctx context.Context, liveURL, name, dir string) error {
	cfg, err := pgx.ParseConfig(liveURL)
	if err != nil {
		return fmt.Errorf("copy the database: the PostgreSQL URL does not parse: %w", err)
	}
	live := cfg.Database
	if live == "" || name == live || name == "" {
		return fmt.Errorf("copy the database: the copy's name %q must differ from the live database %q", name, live)
	}
	admin, err := connectAdmin(ctx, cfg)
	if err != nil {
		return err
	}
	defer admin.Close(context.Background())
	if err := createLike(ctx, admin, live, name); err != nil {
		return err
	}
	dump := filepath.Join(dir, "database.dump")
	defer os.Remove(dump)
	if err := pgTool(ctx, "pg_dump", liveURL, live, "--format=custom", "--file="+dump); err != nil {
		return fmt.Errorf("copy the database %s: %w", live, err)
	}
	if err := pgTool(ctx, "pg_restore", liveURL, name, "--exit-on-error", "--single-transaction", dump); err != nil {
		return fmt.Errorf("load the copy of %s into %s: %w", live, name, err)
	}
	return nil
}

// createLike creates an empty database name with live's owner, encoding
// and locale, dropping a leftover of that name first.
func createLike(ctx context.Context, admin *pgx.Conn, live, name string) error {
	var owner, enc, collate, ctype string
	err := admin.QueryRow(ctx, `SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datcollate, datctype
		FROM pg_database WHERE datname = $1`, live).Scan(&owner, &enc, &collate, &ctype)
	if err != nil {
		return fmt.Errorf("copy the database: read %s's owner and locale: %w; check the database name in the URL", live, err)
	}
	if err := dropDatabase(ctx, admin, name); err != nil {
		return err
	}
	create := fmt.Sprintf("CREATE DATABASE %s OWNER %s TEMPLATE template0 ENCODING %s LC_COLLATE %s LC_CTYPE %s",
		ident(name), ident(owner), literal(enc), literal(collate), literal(ctype))
	if _, err := admin.Exec(ctx, create); err != nil {
		return fmt.Errorf("copy the database: %s: %w; the role must have CREATEDB (ALTER ROLE name CREATEDB) or be a superuser", create, err)
	}
	return nil
}

// DropPostgres drops database name on the cluster of liveURL, ending its
// sessions; a database that does not exist is success. It refuses to drop
// the live database itself.
func DropPostgres(ctx context.Context, liveURL, name string) error {
	cfg, err := pgx.ParseConfig(liveURL)
	if err != nil {
		return fmt.Errorf("drop the copy: the PostgreSQL URL does not parse: %w", err)
	}
	if name == "" || name == cfg.Database {
		return fmt.Errorf("drop the copy: %q is the live database, not a copy", name)
	}
	admin, err := connectAdmin(ctx, cfg)
	if err != nil {
		return err
	}
	defer admin.Close(context.Background())
	return dropDatabase(ctx, admin, name)
}

func dropDatabase(ctx context.Context, admin *pgx.Conn, name string) error {
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop the rehearsal database %s: %w", name, err)
	}
	return nil
}

// connectAdmin opens a session on a maintenance database of the cluster.
func connectAdmin(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	var errs []error
	for _, db := range []string{"postgres", "template1"} {
		c := cfg.Copy()
		c.Database = db
		if c.ConnectTimeout == 0 || c.ConnectTimeout > pgConnectTimeout {
			c.ConnectTimeout = pgConnectTimeout
		}
		c.RuntimeParams["application_name"] = "upkeep"
		conn, err := pgx.ConnectConfig(ctx, c)
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("connect to PostgreSQL on %s:%d to make the rehearsal copy (is it running? may the role connect to database postgres?): %w",
		cfg.Host, cfg.Port, errors.Join(errs...))
}

// pgTool runs pg_dump or pg_restore against database db of liveURL's
// cluster; the password goes in PGPASSWORD, not on the command line.
func pgTool(ctx context.Context, prog, liveURL, db string, args ...string) error {
	u, err := url.Parse(liveURL)
	if err != nil {
		return fmt.Errorf("the PostgreSQL URL does not parse: %w", err)
	}
	password, _ := u.User.Password()
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	u.Path, u.RawPath = "/"+db, ""
	cmd := exec.CommandContext(ctx, prog, append([]string{"--dbname=" + u.String()}, args...)...)
	cmd.Env = append(os.Environ(), "PGAPPNAME=upkeep", "PGPASSWORD="+password, fmt.Sprintf("PGCONNECT_TIMEOUT=%d", int(pgConnectTimeout.Seconds())))
	out, err := cmd.CombinedOutput()
	if errors.Is(err, exec.ErrNotFound) {
		return fmt.Errorf("%s is not installed: install postgresql-client (the server's version or newer): %w", prog, err)
	}
	if err != nil {
		return fmt.Errorf("%s: %w: %s", prog, err, lastLines(string(out), 5))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.FieldsFunc(strings.TrimSpace(s), func(r rune) bool { return r == '\n' })
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
