package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func exists(t *testing.T, name string) bool {
	t.Helper()
	var n int
	err := Connect(t, "postgres").QueryRow(context.Background(),
		"SELECT (SELECT count(*) FROM pg_database WHERE datname = $1) + (SELECT count(*) FROM pg_roles WHERE rolname = $1)", name).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func TestDatabaseIsDroppedWithItsCopies(t *testing.T) {
	var name string
	t.Run("uses", func(t *testing.T) {
		name = Database(t, "pgtest", "TEMPLATE template0")
		if !strings.HasPrefix(name, fmt.Sprintf("upkt%d_pgtest_", os.Getpid())) {
			t.Errorf("Database named %q, want upkt<pid>_pgtest_…", name)
		}
		c := Connect(t, name)
		if _, err := c.Exec(context.Background(), "CREATE TABLE x (n int)"); err != nil {
			t.Fatal(err)
		}
		c.Close(context.Background()) // a template must have no session
		if _, err := Connect(t, "postgres").Exec(context.Background(), "CREATE DATABASE "+name+"_copy TEMPLATE "+name); err != nil {
			t.Fatal(err)
		}
	})
	for _, n := range []string{name, name + "_copy"} {
		if exists(t, n) {
			t.Errorf("%s still exists after the test that made it", n)
		}
	}
}

// TestLeftoversOfEndedRunsAreDropped: what a process that has ended left
// (a database and a role named with its PID) goes at the next run's first
// Name; what a running process owns stays.
func TestLeftoversOfEndedRunsAreDropped(t *testing.T) {
	conn := Connect(t, "postgres")
	ended := exec.Command("true")
	if err := ended.Run(); err != nil {
		t.Fatal(err)
	}
	dead := fmt.Sprintf("upkt%d_left_%s", ended.Process.Pid, "0badc0de")
	alive := fmt.Sprintf("upkt%d_mine_%s", os.Getpid(), "0badc0de")
	t.Cleanup(func() { Drop(URL("postgres"), dead); Drop(URL("postgres"), alive) })
	for _, s := range []string{"CREATE ROLE " + dead, "CREATE DATABASE " + dead, "CREATE DATABASE " + alive} {
		if _, err := conn.Exec(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	if err := dropLeftovers(conn); err != nil {
		t.Fatal(err)
	}
	if exists(t, dead) {
		t.Errorf("%s (its process has ended) was not dropped", dead)
	}
	if !exists(t, alive) {
		t.Errorf("%s (this running process's) was dropped", alive)
	}
}
