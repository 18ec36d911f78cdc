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
func pgAdmin(ctx context.Context, sql string) error {
	args := []string{"-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c", sql}
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
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", p.role, p.password),
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

// drop removes exactly the databases and the role this test binary made.
func (p *pgInstance) drop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, s := range []string{
		"DROP DATABASE IF EXISTS " + p.db + " WITH (FORCE)",
		"DROP DATABASE IF EXISTS " + p.empty + " WITH (FORCE)",
		"DROP ROLE IF EXISTS " + p.role,
	} {
		if err := pgAdmin(ctx, s); err != nil {
			fmt.Fprintf(os.Stderr, "tryton tests: clean up PostgreSQL: %v\n", err)
		}
	}
}
