package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// pgCluster is the machine's PostgreSQL on 127.0.0.1:5432 with a role of
// the benchmark's own; every database it makes is named after the role.
type pgCluster struct {
	role, password string
}

// psql runs SQL as the postgres superuser: through runuser when we are
// root (peer authentication), else over TCP.
func psql(sql string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c", sql}
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", "psql"}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, "psql", append([]string{"-h", "127.0.0.1", "-U", "postgres"}, args...)...)
	}
	cmd.Dir = os.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("psql -c %q: %w: %s", sql, err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// newPGCluster makes the benchmark's role (CREATEDB: upkeep's backups
// clone databases).
func newPGCluster() (*pgCluster, error) {
	if _, err := psql("SELECT 1"); err != nil {
		return nil, fmt.Errorf("PostgreSQL is not reachable as its superuser (%w): start it (pg_ctlcluster 15 main start) or run with -backends sqlite", err)
	}
	c := &pgCluster{role: "upkeep_bench_" + randHex(4), password: randHex(12)}
	_, err := psql(fmt.Sprintf("CREATE ROLE %s LOGIN CREATEDB PASSWORD '%s'", c.role, c.password))
	return c, err
}

// createDB makes name, empty or from template.
func (c *pgCluster) createDB(name, template string) error {
	if template == "" {
		template = "template0"
	}
	_, err := psql(fmt.Sprintf("CREATE DATABASE %s OWNER %s ENCODING 'UTF8' TEMPLATE %s", name, c.role, template))
	return err
}

// size is name's size on disk in MiB.
func (c *pgCluster) size(name string) string {
	out, err := psql(fmt.Sprintf("SELECT pg_database_size('%s')", name))
	if err != nil {
		return "?"
	}
	var n int64
	fmt.Sscan(strings.TrimSpace(out), &n)
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// drop removes every database named after the role, then the role.
func (c *pgCluster) drop() {
	out, err := psql(fmt.Sprintf("SELECT datname FROM pg_database WHERE starts_with(datname, '%s')", c.role))
	if err != nil {
		fmt.Fprintln(os.Stderr, "downtime: clean up PostgreSQL:", err)
	}
	for _, db := range strings.Fields(out) {
		if _, err := psql("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)"); err != nil {
			fmt.Fprintln(os.Stderr, "downtime: clean up PostgreSQL:", err)
		}
	}
	if _, err := psql("DROP ROLE IF EXISTS " + c.role); err != nil {
		fmt.Fprintln(os.Stderr, "downtime: clean up PostgreSQL:", err)
	}
}
