package command_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/command"
	"github.com/upkeep-erp/upkeep/internal/testwait"
	"github.com/upkeep-erp/upkeep/platform"
)

// sqliteOdoo makes an OpenERP-style ERP on SQLite: odooSchema's module
// registry and odooModules' folders. It returns the configuration (an
// update command that only prints) and the database file.
func sqliteOdoo(t *testing.T) (config.Command, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "erp.sqlite")
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec(`CREATE TABLE ir_module_module (name TEXT PRIMARY KEY, state TEXT NOT NULL, latest_version TEXT);
		INSERT INTO ir_module_module VALUES ('base', 'installed', '16.0.1.3'), ('sale', 'installed', '16.0.1.2.0'),
			('stock', 'to upgrade', '16.0.1.1'), ('crm', 'to remove', '16.0.1.0'), ('note', 'uninstalled', NULL);`)
	if err != nil {
		t.Fatal(err)
	}
	writeModules(t, filepath.Join(dir, "addons"), odooModules)
	return config.Command{Database: "sqlite://" + filepath.ToSlash(path), ModulesDir: filepath.Join(dir, "addons"),
		Update: []string{"echo", "update", "{modules}"}}, path
}

// noServer is a server control for tests that never start one.
func noServer(t *testing.T) erp.Server {
	return demoServer(t, t.TempDir(), "127.0.0.1:1")
}

func TestInstalledReadsPythonManifests(t *testing.T) {
	c, _ := sqliteOdoo(t)
	mods, err := newAdapter(t, c, noServer(t)).Installed(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range mods {
		names = append(names, m.Name)
		if want := odooSet[m.Name]; m.Version.String() != want || m.DBVersion.String() != want {
			t.Errorf("%s: code %s, database %s; want both %s", m.Name, m.Version, m.DBVersion, want)
		}
		if m.Core != (m.Name == "base") {
			t.Errorf("%s: Core = %v", m.Name, m.Core)
		}
		if wantDeps := m.Name != "base"; wantDeps != slices.Equal(m.Depends, []string{"base"}) {
			t.Errorf("%s depends on %q", m.Name, m.Depends)
		}
		if m.Dir != filepath.Join(c.ModulesDir, m.Name) {
			t.Errorf("%s: Dir = %s", m.Name, m.Dir)
		}
	}
	if want := []string{"base", "crm", "sale", "stock"}; !slices.Equal(names, want) {
		t.Errorf("Installed lists %q, want %q (to upgrade and to remove count as installed; uninstalled does not)", names, want)
	}
}

func TestInstalledSearchesAddonsPath(t *testing.T) {
	c, _ := sqliteOdoo(t)
	odooAddons := filepath.Join(t.TempDir(), "odoo", "addons")
	if err := os.MkdirAll(odooAddons, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(c.ModulesDir, "base"), filepath.Join(odooAddons, "base")); err != nil {
		t.Fatal(err)
	}
	a := newAdapter(t, c, noServer(t))
	if _, err := a.Installed(ctxT(t)); err == nil || !strings.Contains(err.Error(), "addons_path") {
		t.Fatalf("Installed without base's folder: %v, want a hint at addons_path", err)
	}
	c.AddonsPath = []string{filepath.Join(t.TempDir(), "empty"), odooAddons}
	a = newAdapter(t, c, noServer(t))
	mods, err := a.Installed(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if mods[0].Name != "base" || mods[0].Dir != filepath.Join(odooAddons, "base") || mods[0].Version.String() != "16.0.1.3" {
		t.Errorf("base = %+v, want it read from %s", mods[0], odooAddons)
	}
	// New code for base goes to modules_dir, ahead of the ERP's own copy.
	if dir, err := a.ModuleDir("base"); err != nil || dir != filepath.Join(c.ModulesDir, "base") {
		t.Errorf("ModuleDir(base) = %s, %v; want it in modules_dir", dir, err)
	}
	// A manifest in modules_dir overrides the one further down the path.
	writeModules(t, c.ModulesDir, map[string]map[string]string{"base": {"__manifest__.py": "{'version': '1.4'}"}})
	if mods, err = a.Installed(ctxT(t)); err != nil || mods[0].Version.String() != "16.0.1.4" {
		t.Errorf("with base 1.4 in modules_dir: %+v, %v", mods[0], err)
	}
}

func TestInstalledErrorsNameTheProblem(t *testing.T) {
	tests := []struct {
		name   string
		break_ func(t *testing.T, c config.Command, db string)
		want   []string
	}{
		{"missing folder", func(t *testing.T, c config.Command, _ string) {
			os.RemoveAll(filepath.Join(c.ModulesDir, "sale"))
		}, []string{"installed module sale", "no folder", "put the module's code back"}},
		{"bad manifest", func(t *testing.T, c config.Command, _ string) {
			writeModules(t, c.ModulesDir, map[string]map[string]string{"sale": {"__manifest__.py": "{'version': 16.0}"}})
		}, []string{"installed module sale", "__manifest__.py", "'version' is a number"}},
		{"bad version", func(t *testing.T, c config.Command, _ string) {
			writeModules(t, c.ModulesDir, map[string]map[string]string{"sale": {"__manifest__.py": "{'version': 'one'}"}})
		}, []string{"installed module sale", "'version'"}},
		{"upkeep.toml of another module", func(t *testing.T, c config.Command, _ string) {
			writeModules(t, c.ModulesDir, map[string]map[string]string{"sale": {"upkeep.toml": "name = \"crm\"\nversion = \"1.0.0\"\nsummary = \"x\"\nmaturity = \"beta\"\n"}})
		}, []string{"installed module sale", "upkeep.toml", `names module "crm"`}},
		{"damaged latest_version", func(t *testing.T, c config.Command, db string) {
			sqliteExec(t, db, "UPDATE ir_module_module SET latest_version = 'x.y' WHERE name = 'crm'")
		}, []string{"installed module crm", `latest_version "x.y"`, "restore its backup"}},
		{"not an OpenERP database", func(t *testing.T, c config.Command, db string) {
			sqliteExec(t, db, "DROP TABLE ir_module_module")
		}, []string{"ir_module_module", "erp.command.database"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, db := sqliteOdoo(t)
			tt.break_(t, c, db)
			_, err := newAdapter(t, c, noServer(t)).Installed(ctxT(t))
			if err == nil {
				t.Fatal("Installed succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func sqliteExec(t *testing.T, path, query string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=rw")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query); err != nil {
		t.Fatal(err)
	}
}

func TestUpdateTimeoutKillsTheProcessGroup(t *testing.T) {
	c, _ := sqliteOdoo(t)
	pidfile := filepath.Join(t.TempDir(), "child.pid")
	// The update starts a child that would outlive it, then hangs.
	c.Update = []string{"sh", "-c", `sleep 120 & echo $! > "$0"; echo "updating $1"; wait`, pidfile, "{modules}"}
	a := newAdapter(t, c, noServer(t))
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var log bytes.Buffer
	start := time.Now()
	err := a.Update(ctx, erp.UpdateRequest{Modules: []string{"sale"}}, &log)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "updating sale") {
		t.Fatalf("Update past its deadline: %v; want the deadline and the output's last line", err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("Update returned %s after its deadline", took)
	}
	if !strings.Contains(log.String(), "updating sale") {
		t.Errorf("log = %q", log.String())
	}
	data, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if !testwait.Until(10*time.Second, func() bool { return !platform.ProcessAlive(pid) }) {
		t.Fatalf("the update's child %d still runs: the process group was not killed", pid)
	}
}

func TestUpdateFailureCarriesTheLastLines(t *testing.T) {
	c, _ := sqliteOdoo(t)
	c.Update = []string{"sh", "-c", `for i in $(seq 1 50); do echo "line $i"; done; echo "migration of $1 failed" >&2; exit 3`, "sh", "{modules}"}
	var log bytes.Buffer
	err := newAdapter(t, c, noServer(t)).Update(ctxT(t), erp.UpdateRequest{All: true}, &log)
	if err == nil {
		t.Fatal("an update exiting 3 succeeded")
	}
	for _, want := range []string{"exit status 3", "migration of all failed", "line 50"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "line 10\n") {
		t.Errorf("the error carries the whole output, not its last lines: %q", err)
	}
	if !strings.Contains(log.String(), "line 1\n") {
		t.Errorf("the log misses the output's start: %q", log.String()[:40])
	}
}

func TestUpdateMissingProgram(t *testing.T) {
	c, _ := sqliteOdoo(t)
	c.Update = []string{filepath.Join(t.TempDir(), "odoo-bin"), "-u", "{modules}"}
	err := newAdapter(t, c, noServer(t)).Update(ctxT(t), erp.UpdateRequest{All: true}, nil)
	if err == nil || !strings.Contains(err.Error(), "odoo-bin") || !strings.Contains(err.Error(), "[erp.command]") {
		t.Errorf("Update with a missing program: %v", err)
	}
}

func TestUpdateGetsTheEnvironment(t *testing.T) {
	c, _ := sqliteOdoo(t)
	c.Update = []string{"sh", "-c", `echo "$UPKEEP_DATABASE_URL|$UPKEEP_MODULES_DIR|$1"`, "sh", "{modules}"}
	var log bytes.Buffer
	if err := newAdapter(t, c, noServer(t)).Update(ctxT(t), erp.UpdateRequest{Modules: []string{"sale", "crm"}}, &log); err != nil {
		t.Fatal(err)
	}
	if want := c.Database + "|" + c.ModulesDir + "|sale,crm\n"; log.String() != want {
		t.Errorf("the update saw %q, want %q", log.String(), want)
	}
}

func TestCanDisable(t *testing.T) {
	c, _ := sqliteOdoo(t)
	a := newAdapter(t, c, noServer(t))
	if ok, why := a.CanDisable(); ok || !strings.Contains(why, "{disable}") {
		t.Errorf("CanDisable without {disable} = %v, %q", ok, why)
	}
	err := a.Update(ctxT(t), erp.UpdateRequest{Disable: []string{"crm"}}, nil)
	if err == nil || !strings.Contains(err.Error(), "{disable}") {
		t.Errorf("Update disabling without {disable}: %v", err)
	}
	c.Update = append(c.Update, "--disable={disable}")
	if ok, why := newAdapter(t, c, noServer(t)).CanDisable(); !ok || why != "" {
		t.Errorf("CanDisable with {disable} = %v, %q", ok, why)
	}
}

func TestHealthWithoutCommandChecksTheDatabase(t *testing.T) {
	c, db := sqliteOdoo(t)
	a := newAdapter(t, c, noServer(t))
	err := a.Health(ctxT(t))
	if err == nil || !strings.Contains(err.Error(), "2 modules") || !strings.Contains(err.Error(), "did not finish") {
		t.Fatalf("Health with stock 'to upgrade' and crm 'to remove': %v", err)
	}
	sqliteExec(t, db, "UPDATE ir_module_module SET state = 'installed'")
	if err := a.Health(ctxT(t)); err != nil {
		t.Errorf("Health of a settled database: %v", err)
	}
	os.Remove(db)
	if err := a.Health(ctxT(t)); err == nil {
		t.Error("Health with the database gone succeeded")
	}
}

func TestQueryValueCannotWrite(t *testing.T) {
	c, _ := sqliteOdoo(t)
	a := newAdapter(t, c, noServer(t))
	if _, err := a.QueryValue(ctxT(t), "DELETE FROM ir_module_module RETURNING 1"); err == nil {
		t.Error("QueryValue ran a DELETE")
	}
	if v, err := a.QueryValue(ctxT(t), "SELECT count(*) FROM ir_module_module"); err != nil || v != "5" {
		t.Errorf("after the refused DELETE: %q, %v; want 5 rows", v, err)
	}
	if v, err := a.QueryValue(ctxT(t), "SELECT latest_version FROM ir_module_module WHERE name = 'note'"); err != nil || v != "" {
		t.Errorf("QueryValue of NULL = %q, %v", v, err)
	}
	if _, err := a.QueryValue(ctxT(t), "SELECT 1 WHERE 1 = 0"); err == nil || !strings.Contains(err.Error(), "no row") {
		t.Errorf("QueryValue of no row: %v", err)
	}
}

func TestScripts(t *testing.T) {
	c, _ := sqliteOdoo(t)
	env := newAdapter(t, c, noServer(t)).Scripts()
	if env.Python != command.DefaultPython {
		t.Errorf("Python = %q, want the default %q", env.Python, command.DefaultPython)
	}
	want := []string{command.EnvDatabaseURL + "=" + c.Database, command.EnvModulesDir + "=" + c.ModulesDir}
	if !slices.Equal(env.Env, want) {
		t.Errorf("Env = %q, want %q", env.Env, want)
	}
	c.Python = "/opt/odoo/venv/bin/python"
	if got := newAdapter(t, c, noServer(t)).Scripts().Python; got != c.Python {
		t.Errorf("Python = %q", got)
	}
}

func TestStagingDirBesideModulesDir(t *testing.T) {
	c, _ := sqliteOdoo(t)
	dir, err := newAdapter(t, c, noServer(t)).StagingDir()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(dir) != filepath.Dir(c.ModulesDir) || !strings.HasPrefix(filepath.Base(dir), ".") {
		t.Errorf("StagingDir = %s, want a hidden folder beside %s", dir, c.ModulesDir)
	}
	if _, err := newAdapter(t, c, noServer(t)).ModuleDir("../etc"); err == nil {
		t.Error("ModuleDir accepted a path")
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	good, _ := sqliteOdoo(t)
	if _, err := command.New(good, nil); err == nil || !strings.Contains(err.Error(), "[erp.server]") {
		t.Errorf("New without a server control: %v", err)
	}
	tests := []struct {
		name string
		edit func(c *config.Command)
		want string
	}{
		{"relative sqlite path", func(c *config.Command) { c.Database = "sqlite://erp.sqlite" }, "absolute path"},
		{"sqlite without slashes", func(c *config.Command) { c.Database = "sqlite:erp.sqlite" }, "absolute path"},
		{"no database name", func(c *config.Command) { c.Database = "postgresql://odoo@localhost:5432/" }, "name the database"},
		{"a password is not shown", func(c *config.Command) { c.Database = "postgresql://odoo:s3cret@localhost/" }, "xxxxx"},
		{"mysql", func(c *config.Command) { c.Database = "mysql://localhost/erp" }, `scheme "mysql"`},
		{"no database", func(c *config.Command) { c.Database = "" }, "erp.command.database is empty"},
		{"relative modules_dir", func(c *config.Command) { c.ModulesDir = "addons" }, "erp.command.modules_dir"},
		{"relative addons_path", func(c *config.Command) { c.AddonsPath = []string{"odoo/addons"} }, "erp.command.addons_path"},
		{"no update", func(c *config.Command) { c.Update = nil }, "erp.command.update is empty"},
		{"no {modules}", func(c *config.Command) { c.Update = []string{"odoo-bin", "-u", "all"} }, "no {modules} placeholder"},
		{"placeholder as program", func(c *config.Command) { c.Update = []string{"{modules}"} }, "holds a placeholder"},
		{"empty health program", func(c *config.Command) { c.Health = []string{""} }, "erp.command.health"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.edit(&c)
			_, err := command.New(c, noServer(t))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v; want an error saying %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

func TestConfigKindCommand(t *testing.T) {
	dir := t.TempDir()
	base := `[repository]
url = "https://cr.example.com"
trusted_root = "/etc/upkeep/root.json"
[erp]
kind = "command"
[erp.command]
database = "postgresql://odoo@127.0.0.1:5432/erp"
modules_dir = "addons"
update = ["/opt/odoo/odoo-bin", "-d", "erp", "-u", "{modules}", "--stop-after-init"]
`
	c, err := config.Parse([]byte(base+`health = ["curl", "-fsS", "http://127.0.0.1:8069/web/health"]`+"\n"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.ERP.Command.ModulesDir != filepath.Join(dir, "addons") {
		t.Errorf("modules_dir = %s, want it relative to the file's folder", c.ERP.Command.ModulesDir)
	}
	if _, err := config.Parse([]byte(base+"[[erp.health]]\nurl = \"http://127.0.0.1:8069/web/health\"\n"), dir); err != nil {
		t.Errorf("an [[erp.health]] check instead of a health command: %v", err)
	}
	if _, err := config.Parse([]byte(base), dir); err == nil || !strings.Contains(err.Error(), "healthy") {
		t.Errorf("no way to check health: %v", err)
	}
	if _, err := config.Parse([]byte(strings.Replace(base, `"{modules}"`, `"all"`, 1)), dir); err == nil || !strings.Contains(err.Error(), "{modules}") {
		t.Errorf("no {modules}: %v", err)
	}
}
