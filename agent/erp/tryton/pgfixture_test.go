package tryton

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// The PostgreSQL server the tests use: the machine's, on 127.0.0.1:5432
// (scripts/ensure-services.sh starts it). Each test binary makes its own
// role and databases, named upkeep_tryton_PID_RANDOM, and drops them at exit.
const pgHostPort = "127.0.0.1:5432"

// pgAdmin runs SQL as the postgres superuser: through runuser when we are
// root (peer authentication, as on a fresh Debian), else over TCP.
func pgAdmin(ctx context.Context, sql string) error { return pgAdminOn(ctx, "postgres", sql) }

// pgAdminOn runs SQL as the postgres superuser on database db.
func pgAdminOn(ctx context.Context, db, sql string) error {
	args := []string{"-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql}
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", "psql"}, args...)...)
	} else {
		host, port, _ := strings.Cut(pgHostPort, ":")
		cmd = exec.CommandContext(ctx, "psql", append([]string{"-h", host, "-p", port, "-U", "postgres"}, args...)...)
	}
	cmd.Dir = os.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("psql -c %q: %w: %s", sql, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// pgInstance holds the PostgreSQL instance and the extra databases made for it.
type pgInstance struct {
	*instance
	role     string
	password string
	// empty is a database that exists but is not a Tryton database.
	empty string
}

var (
	pgOnce sync.Once
	pgInst *pgInstance
	pgErr  error
	pgSkip string
)

// postgresInstance sets up, once per test binary, a PostgreSQL Tryton database.
func postgresInstance(t *testing.T) *pgInstance {
	t.Helper()
	needTryton(t)
	pgOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := pgAdmin(ctx, "SELECT 1"); err != nil {
			pgSkip = fmt.Sprintf("PostgreSQL is not reachable as its superuser (%v): run scripts/ensure-deps.sh, which installs and starts it", err)
			return
		}
		start := time.Now()
		pgInst, pgErr = setupPostgres()
		if pgErr == nil {
			pgInst.took = time.Since(start)
		}
	})
	if pgSkip != "" {
		skipOrFail(t, "%s", pgSkip)
	}
	if pgErr != nil {
		t.Fatalf("set up the PostgreSQL Tryton database: %v", pgErr)
	}
	return pgInst
}

func setupPostgres() (*pgInstance, error) {
	in, err := newInstanceDir("upkeep-tryton-pg-")
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("upkeep_tryton_%d_%s", os.Getpid(), randHex(4))
	p := &pgInstance{instance: in, role: name, password: randHex(12), empty: name + "_empty"}
	in.db = name
	if err := p.create(); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf("[database]\nuri = postgresql://%s:%s@%s/\nlanguage = en\n", p.role, p.password, pgHostPort)
	if err := os.WriteFile(in.conf, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	return p, in.activateParty()
}

// create makes the role and the two databases, and registers their removal.
// trytond-admin does not create a PostgreSQL database: it must exist.
func (p *pgInstance) create() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	atExit(p.drop)
	stmts := []string{
		// CREATEDB: the writer's backups clone and rename databases.
		fmt.Sprintf("CREATE ROLE %s LOGIN CREATEDB PASSWORD '%s'", p.role, p.password),
		fmt.Sprintf("CREATE DATABASE %s OWNER %s ENCODING 'UTF8' TEMPLATE template0", p.db, p.role),
		fmt.Sprintf("CREATE DATABASE %s OWNER %s ENCODING 'UTF8' TEMPLATE template0", p.empty, p.role),
	}
	for _, s := range stmts {
		if err := pgAdmin(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// drop removes exactly the databases and the role this test binary made:
// every database named after the role (the writer tests' copies too).
func (p *pgInstance) drop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dbs, err := pgDatabases(ctx, p.role)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tryton tests: clean up PostgreSQL: %v\n", err)
	}
	var stmts []string
	for _, db := range dbs {
		stmts = append(stmts, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
	}
	for _, s := range append(stmts, "DROP ROLE IF EXISTS "+p.role) {
		if err := pgAdmin(ctx, s); err != nil {
			fmt.Fprintf(os.Stderr, "tryton tests: clean up PostgreSQL: %v\n", err)
		}
	}
}

// pgDatabases lists the databases whose names start with prefix.
func pgDatabases(ctx context.Context, prefix string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "psql", "-h", "127.0.0.1", "-U", "postgres", "-X", "-q", "-t", "-A", "-d", "postgres",
		"-c", "SELECT datname FROM pg_database WHERE starts_with(datname, '"+prefix+"') ORDER BY 1")
	if os.Geteuid() == 0 {
		cmd = exec.CommandContext(ctx, "runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-t", "-A", "-d", "postgres",
			"-c", "SELECT datname FROM pg_database WHERE starts_with(datname, '"+prefix+"') ORDER BY 1")
	}
	cmd.Dir = os.TempDir()
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("list the databases %s*: %w", prefix, err)
	}
	return strings.Fields(string(out)), nil
}
