package demo

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/platform"
)

// DefaultURL is where demo-erp serve listens unless told otherwise.
const DefaultURL = "http://127.0.0.1:8069"

// StagingName is the folder of the instance where new module folders are
// staged: beside addons/, so the ERP never loads code from it.
const StagingName = ".upkeep-staging"

// Writer drives a demo ERP instance for the apply runner: the server through
// Config.Server, the database as a SQLite file, the update through the
// demo-erp program.
type Writer struct {
	*Reader
	erp.Server
	url     string
	command []string
}

var (
	_ erp.Writer      = (*Writer)(nil)
	_ erp.Neutralizer = (*Writer)(nil)
)

// NewWriter returns a Writer on the instance c.Dir; c.Server is required.
func NewWriter(c Config) (*Writer, error) {
	r, err := New(c)
	if err != nil {
		return nil, err
	}
	if c.Server == nil {
		return nil, errors.New("demo ERP: no server control: set erp.server (a systemd unit, a pidfile with start, or start and stop commands)")
	}
	w := &Writer{Reader: r, Server: c.Server, url: strings.TrimRight(c.URL, "/"), command: c.Command}
	if w.url == "" {
		w.url = DefaultURL
	}
	return w, nil
}

// dbPath is the instance's database file.
func (w *Writer) dbPath() string { return demoerp.DBPath(w.dir) }

// BackupSize returns the size of the database file.
func (w *Writer) BackupSize(context.Context) (int64, error) { return dbcopy.SQLiteSize(w.dbPath()) }

// BackupRoom is the room a backup needs in dir: none where the file is
// cloned, else its size.
func (w *Writer) BackupRoom(_ context.Context, dir string) (int64, error) {
	return dbcopy.SQLiteRoom(w.dbPath(), dir)
}

// Backup copies the stopped instance's database file into dir and verifies it.
func (w *Writer) Backup(ctx context.Context, dir string) (erp.Backup, error) {
	return dbcopy.BackupSQLite(ctx, w.dbPath(), dir)
}

// Restore puts the backup's bytes back as the database file.
func (w *Writer) Restore(_ context.Context, b erp.Backup) error {
	return dbcopy.RestoreSQLite(b, w.dbPath())
}

// DropBackup does nothing: the backup is a file in its folder.
func (w *Writer) DropBackup(context.Context, erp.Backup) error { return nil }

// ExecSQL runs script against the database in one transaction.
func (w *Writer) ExecSQL(ctx context.Context, script string) error {
	db, err := w.open("mode=rw&_busy_timeout=10000&_foreign_keys=on&_synchronous=FULL&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("demo ERP: begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, script); err != nil {
		return fmt.Errorf("demo ERP: run SQL on %s: %w (rolled back)", w.dbPath(), err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("demo ERP: commit: %w", err)
	}
	return nil
}

// QueryValue runs query read-only and returns the first column of its
// first row as text ("" for NULL).
func (w *Writer) QueryValue(ctx context.Context, query string) (string, error) {
	db, err := w.open("mode=ro&_busy_timeout=10000")
	if err != nil {
		return "", err
	}
	defer db.Close()
	var v any
	err = db.QueryRowContext(ctx, query).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("demo ERP: %q returned no row: make it return one value", query)
	}
	if err != nil {
		return "", fmt.Errorf("demo ERP: query %q: %w", query, err)
	}
	return formatValue(v), nil
}

// formatValue renders a SQLite value as text.
func formatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case time.Time:
		return v.Format(time.RFC3339Nano)
	default:
		return fmt.Sprint(v)
	}
}

// open opens the database file, which must exist.
func (w *Writer) open(params string) (*sqlx.DB, error) {
	path := w.dbPath()
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("demo ERP database: %w; check erp.demo.dir", err)
	}
	db, err := sqlx.Open("sqlite3", demoerp.DSN(path, params))
	if err != nil {
		return nil, fmt.Errorf("open the database %s: %w", path, err)
	}
	return db, nil
}

// ModuleDir returns addons/<name>.
func (w *Writer) ModuleDir(name string) (string, error) {
	if err := catalog.ValidateModuleName(name); err != nil {
		return "", fmt.Errorf("demo ERP module folder: %w", err)
	}
	return demoerp.ModuleDir(w.dir, name), nil
}

// StagingDir returns (and creates) <instance>/.upkeep-staging, which must be
// on the filesystem of addons/.
func (w *Writer) StagingDir() (string, error) {
	dir := filepath.Join(w.dir, StagingName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create the staging folder: %w", err)
	}
	addons := filepath.Join(w.dir, demoerp.AddonsDir)
	same, err := platform.SameFilesystem(dir, addons)
	if err != nil {
		return "", fmt.Errorf("demo ERP staging folder: %w", err)
	}
	if !same {
		return "", fmt.Errorf("demo ERP: %s and %s are on different filesystems, so module folders cannot be swapped atomically: keep addons/ on the instance's filesystem", dir, addons)
	}
	return dir, nil
}

// CanDisable is true: demo-erp update --disable keeps a module's data.
func (w *Writer) CanDisable() (bool, string) { return true, "" }

// Disabled implements erp.Updater: the modules whose ir_module_module row
// is in state 'disabled'.
func (w *Writer) Disabled(ctx context.Context, names []string) ([]string, error) {
	return erp.DisabledByQuery(ctx, w.QueryValue, "ir_module_module", []string{demoerp.StateDisabled}, names)
}

// Scripts runs .py scripts with python3; scripts find the instance in
// UPKEEP_ERP_DIR and the database file in UPKEEP_DATABASE.
func (w *Writer) Scripts() erp.ScriptEnv {
	return erp.ScriptEnv{Python: "python3", Env: []string{"UPKEEP_ERP_DIR=" + w.dir, "UPKEEP_DATABASE=" + w.dbPath()}}
}

// Neutralize stops the scheduled jobs and the outgoing mail servers.
func (w *Writer) Neutralize(ctx context.Context) error {
	return w.ExecSQL(ctx, "UPDATE ir_cron SET active = 0;\nUPDATE ir_mail_server SET active = 0;")
}

// Health asks the running server's GET /health, which must answer 200 with
// status "ok".
func (w *Writer) Health(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.url+"/health", nil)
	if err != nil {
		return fmt.Errorf("demo ERP health: %w; check erp.demo.url", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("demo ERP health: %w; is the server running at %s?", err, w.url)
	}
	defer resp.Body.Close()
	var h demoerp.Health
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err := json.Unmarshal(body, &h); err != nil {
		return fmt.Errorf("demo ERP health: %s answered %s that is not the demo ERP's: %.200q; check erp.demo.url", w.url, resp.Status, body)
	}
	if resp.StatusCode != http.StatusOK || h.Status != demoerp.HealthOK {
		return fmt.Errorf("demo ERP health: %s: status %q: %s", resp.Status, h.Status, h.Error)
	}
	return nil
}

// demoERPName is the demo ERP program's file name without extension.
const demoERPName = "demo-erp"

// program returns the demo-erp command line: Config.Command, else demo-erp
// next to this program, else demo-erp on PATH.
func (w *Writer) program() ([]string, error) {
	if len(w.command) > 0 {
		return w.command, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), demoERPName+filepath.Ext(exe))
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return []string{p}, nil
		}
	}
	p, err := exec.LookPath(demoERPName)
	if err != nil {
		return nil, fmt.Errorf("demo ERP: the demo-erp program is neither next to this program nor on PATH: install it, or set erp.demo.command")
	}
	return []string{p}, nil
}
