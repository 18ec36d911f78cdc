// Package pgtest gives tests the machine's PostgreSQL and throwaway databases named so that the next run drops what a killed test binary left.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/upkeep-erp/upkeep/platform"
)

// Server is the machine's PostgreSQL as its superuser (trust
// authentication on loopback, as scripts/ensure-services.sh sets it up).
const Server = "postgres://postgres@127.0.0.1:5432/"

// URL is the superuser's URL of database db.
func URL(db string) string { return Server + db }

// marker starts every name Name gives; the number is the test binary's PID.
var marker = regexp.MustCompile(`^upkt([0-9]+)_`)

// Connect returns a superuser connection to database db, closed when t
// ends. When the server cannot be reached it skips t, or fails it under
// CI=true, where PostgreSQL must be there.
func Connect(t testing.TB, db string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, URL(db))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: PostgreSQL is not reachable on 127.0.0.1:5432 as postgres: %v", err)
		}
		t.Skipf("PostgreSQL is not reachable on 127.0.0.1:5432 as postgres (%v): run scripts/ensure-deps.sh", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

var swept sync.Once

// Name returns a new name for a test's databases and role, upkt<PID>_<label>_<random>
// (label: lower-case letters, digits and _). The first call in a test
// binary drops every database and role named so by a process that is no
// longer running: what a killed test left.
func Name(t testing.TB, label string) string {
	t.Helper()
	conn := Connect(t, "postgres")
	swept.Do(func() {
		if err := dropLeftovers(conn); err != nil {
			t.Logf("pgtest: dropping what earlier runs left: %v", err)
		}
	})
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("upkt%d_%s_%s", os.Getpid(), label, hex.EncodeToString(b))
}

// Database creates a database named by Name(label), with options after
// CREATE DATABASE name (e.g. "TEMPLATE template0"), and drops it, with
// every database named after it (its copies), when t ends.
func Database(t testing.TB, label, options string) string {
	t.Helper()
	name := Name(t, label)
	conn := Connect(t, "postgres")
	if _, err := conn.Exec(context.Background(), strings.TrimSpace("CREATE DATABASE "+name+" "+options)); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := Drop(URL("postgres"), name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return name
}

// Drop drops, over a new superuser connection to url, every database
// whose name starts with prefix and then the role prefix, if it exists.
func Drop(url, prefix string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return fmt.Errorf("drop %s*: %w", prefix, err)
	}
	defer conn.Close(ctx)
	return drop(ctx, conn, func(name string) bool { return strings.HasPrefix(name, prefix) })
}

// dropLeftovers drops the databases and roles Name made in processes that
// have ended.
func dropLeftovers(conn *pgx.Conn) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return drop(ctx, conn, func(name string) bool {
		m := marker.FindStringSubmatch(name)
		if m == nil {
			return false
		}
		pid, err := strconv.Atoi(m[1])
		return err == nil && !platform.ProcessAlive(pid)
	})
}

// drop drops the databases, then the roles, whose names match.
func drop(ctx context.Context, conn *pgx.Conn, match func(string) bool) error {
	for _, q := range []struct{ list, drop string }{
		{"SELECT datname FROM pg_database", "DROP DATABASE IF EXISTS %s WITH (FORCE)"},
		{"SELECT rolname FROM pg_roles", "DROP ROLE IF EXISTS %s"},
	} {
		rows, _ := conn.Query(ctx, q.list)
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("%s: %w", q.list, err)
		}
		for _, n := range names {
			if !match(n) {
				continue
			}
			if _, err := conn.Exec(ctx, fmt.Sprintf(q.drop, pgx.Identifier{n}.Sanitize())); err != nil {
				return fmt.Errorf("drop %s: %w", n, err)
			}
		}
	}
	return nil
}
