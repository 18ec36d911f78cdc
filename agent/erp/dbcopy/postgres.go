package dbcopy

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/platform"
)

// The PostgreSQL backup methods, as erp.Backup.Method records them.
const (
	// MethodPGTemplate clones the database on its own cluster (CREATE
	// DATABASE copy TEMPLATE live, a copy of its files), checked against
	// the live database's catalog; a restore renames the copy back. Both
	// cost about the same whatever the number of rows.
	MethodPGTemplate = "pg-template"
	// MethodPGDump writes pg_dump -Fc into the backup folder; a restore
	// loads it into a fresh database with pg_restore and swaps it in. Both
	// read or write every row: slow on a big database.
	MethodPGDump = "pg-dump"
)

// PostgresDefault is the method a Postgres with no Method uses: on a
// database of a few hundred MB the clone and its restore take a fraction
// of pg_dump and pg_restore (figures in bench/README.md).
const PostgresDefault = MethodPGTemplate

// dumpFile is the name of the pg_dump archive in a backup folder.
const dumpFile = "database.dump"

// pgConnectTimeout bounds every connection, so that an unreachable
// server fails fast rather than at the caller's deadline.
const pgConnectTimeout = 10 * time.Second

// Postgres backs up and restores one PostgreSQL database. The role in URL
// must own the database and may create databases (ALTER ROLE … CREATEDB),
// or be a superuser: both methods create, drop and rename databases.
type Postgres struct {
	// URL reaches the live database: postgresql://USER:PASSWORD@HOST:PORT/NAME.
	URL string
	// Method is MethodPGTemplate or MethodPGDump; empty means PostgresDefault.
	Method string
	// PgDump and PgRestore are the client programs; empty means the ones
	// on PATH. Their major version must be at least the server's.
	PgDump, PgRestore string
}

// live returns the parsed connection settings and the live database name.
func (p Postgres) live() (*pgx.ConnConfig, string, error) {
	cfg, err := pgx.ParseConfig(p.URL)
	if err != nil {
		return nil, "", fmt.Errorf("dbcopy: the PostgreSQL URL does not parse (%s): write postgresql://USER:PASSWORD@HOST:PORT/DATABASE: %w", redact(p.URL), err)
	}
	if cfg.Database == "" {
		return nil, "", fmt.Errorf("dbcopy: the PostgreSQL URL %s names no database: add it as the path", redact(p.URL))
	}
	return cfg, cfg.Database, nil
}

// redact hides the password of a URL for messages.
func redact(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

// connect opens a session on database name with the settings that make
// row text deterministic for checksums.
func (p Postgres) connect(ctx context.Context, name string) (*pgx.Conn, error) {
	cfg, _, err := p.live()
	if err != nil {
		return nil, err
	}
	cfg.Database = name
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > pgConnectTimeout {
		cfg.ConnectTimeout = pgConnectTimeout
	}
	for k, v := range map[string]string{"application_name": "upkeep", "TimeZone": "UTC", "DateStyle": "ISO, MDY",
		"IntervalStyle": "postgres", "extra_float_digits": "3", "bytea_output": "hex"} {
		cfg.RuntimeParams[k] = v
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, connectError(name, cfg, err)
	}
	return conn, nil
}

func connectError(name string, cfg *pgx.ConnConfig, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "3D000":
			return fmt.Errorf("dbcopy: database %s does not exist on %s:%d: check the database name: %w", name, cfg.Host, cfg.Port, err)
		case "28P01", "28000":
			return fmt.Errorf("dbcopy: PostgreSQL refused role %s on %s:%d: check the user and password and pg_hba.conf: %w", cfg.User, cfg.Host, cfg.Port, err)
		}
	}
	return fmt.Errorf("dbcopy: connect to database %s on %s:%d (is PostgreSQL running? pg_lsclusters): %w", name, cfg.Host, cfg.Port, err)
}

// admin opens a session on a maintenance database of the cluster, from
// which databases can be created, dropped and renamed.
func (p Postgres) admin(ctx context.Context) (*pgx.Conn, error) {
	conn, err := p.connect(ctx, "postgres")
	if err == nil {
		return conn, nil
	}
	if conn, err2 := p.connect(ctx, "template1"); err2 == nil {
		return conn, nil
	}
	return nil, err
}

// Size is the live database's size on disk (pg_database_size).
func (p Postgres) Size(ctx context.Context) (int64, error) {
	_, name, err := p.live()
	if err != nil {
		return 0, err
	}
	conn, err := p.connect(ctx, name)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	var n int64
	if err := conn.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&n); err != nil {
		return 0, fmt.Errorf("dbcopy: pg_database_size(%s): %w", name, err)
	}
	return n, nil
}

// Checksum is the logical checksum of the live database (see checksumDB).
func (p Postgres) Checksum(ctx context.Context) (string, error) {
	_, name, err := p.live()
	if err != nil {
		return "", err
	}
	return p.checksumDB(ctx, name)
}

// Backup copies the live database, which nobody may be writing to (the
// ERP server is stopped), with p's method; dir is an empty folder for a
// dump. The copy is checked before Backup returns, by its catalog (its
// relations, their columns and sizes), never by reading every row: the
// check costs the same on a 10 MB and a 100 GB database.
func (p Postgres) Backup(ctx context.Context, dir string) (erp.Backup, error) {
	switch p.method() {
	case MethodPGTemplate:
		return p.backupTemplate(ctx)
	case MethodPGDump:
		return p.backupDump(ctx, dir)
	}
	return erp.Backup{}, fmt.Errorf("dbcopy: PostgreSQL backup method %q is unknown: use %q or %q", p.Method, MethodPGTemplate, MethodPGDump)
}

func (p Postgres) method() string {
	if p.Method == "" {
		return PostgresDefault
	}
	return p.Method
}

// Restore replaces the live database with the backup b, exactly. The
// backup's digest is checked before the live database is dropped, so a
// changed backup is refused with the live database untouched. Restore is
// idempotent: after a crash at any point, running it again finishes it.
func (p Postgres) Restore(ctx context.Context, b erp.Backup) error {
	switch b.Method {
	case MethodPGTemplate:
		return p.restoreTemplate(ctx, b)
	case MethodPGDump:
		return p.restoreDump(ctx, b)
	}
	return fmt.Errorf("dbcopy: backup method %q is not a PostgreSQL method (%s, %s): this backup was not made by the PostgreSQL copier", b.Method, MethodPGTemplate, MethodPGDump)
}

// Drop frees what the backup holds outside its folder: the template copy,
// and the database a restore set aside (the one the failed update left),
// which the runner drops once the restored server is healthy: a DROP
// DATABASE forces a checkpoint, which a busy cluster can take seconds to
// finish, and it has no place inside the outage. Dropping what is gone
// (restored by renaming) is success.
func (p Postgres) Drop(ctx context.Context, b erp.Backup) error {
	_, live, err := p.live()
	if err != nil {
		return err
	}
	conn, err := p.admin(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if b.Method == MethodPGTemplate && b.Database != "" {
		if err := dropDatabase(ctx, conn, b.Database); err != nil {
			return err
		}
	}
	return dropDatabase(ctx, conn, asideName(live))
}

// asideName is where a restore sets the live database aside.
func asideName(live string) string { return derivedName(live, "_upkeep_aside") }

// backupTemplate clones the live database on its cluster, with the live
// database's owner, settings and privileges, checks the clone's catalog
// against the live one's, and closes the clone to connections.
func (p Postgres) backupTemplate(ctx context.Context) (erp.Backup, error) {
	_, live, err := p.live()
	if err != nil {
		return erp.Backup{}, err
	}
	conn, err := p.admin(ctx)
	if err != nil {
		return erp.Backup{}, err
	}
	defer conn.Close(context.Background())
	props, err := readProps(ctx, conn, live)
	if err != nil {
		return erp.Backup{}, err
	}
	copyName := derivedName(live, "_upkeep_"+time.Now().UTC().Format("20060102150405"))
	if err := clone(ctx, conn, live, copyName, props); err != nil {
		return erp.Backup{}, err
	}
	boundary("pg-cloned")
	b, err := p.verifyCopy(ctx, conn, live, copyName)
	if err != nil {
		_ = dropDatabase(context.Background(), conn, copyName)
		return erp.Backup{}, err
	}
	return b, nil
}

// verifyCopy compares the copy's catalog digest with the live database's,
// then closes the copy to connections.
func (p Postgres) verifyCopy(ctx context.Context, conn *pgx.Conn, live, copyName string) (erp.Backup, error) {
	sumLive, err := p.catalogSum(ctx, live, true)
	if err != nil {
		return erp.Backup{}, err
	}
	sumCopy, err := p.catalogSum(ctx, copyName, true)
	if err != nil {
		return erp.Backup{}, err
	}
	if sumCopy != sumLive {
		return erp.Backup{}, fmt.Errorf("dbcopy: the copy %s of %s differs from it (catalog %s, live %s): something wrote to the database during the backup; stop every client of it (the ERP server, cron workers) and try again", copyName, live, sumCopy, sumLive)
	}
	var size int64
	if err := conn.QueryRow(ctx, "SELECT pg_database_size($1)", copyName).Scan(&size); err != nil {
		return erp.Backup{}, fmt.Errorf("dbcopy: pg_database_size(%s): %w", copyName, err)
	}
	if err := allowConnections(ctx, conn, copyName, false); err != nil {
		return erp.Backup{}, err
	}
	boundary("pg-closed")
	return erp.Backup{Method: MethodPGTemplate, Database: copyName, Size: size, Checksum: sumCopy}, nil
}

// restoreTemplate renames the verified copy over the live database: it
// opens the copy to connections, checks its digest, drops the live
// database and renames the copy. Each step is safe to repeat.
func (p Postgres) restoreTemplate(ctx context.Context, b erp.Backup) error {
	_, live, err := p.live()
	if err != nil {
		return err
	}
	conn, err := p.admin(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	copyExists, err := databaseExists(ctx, conn, b.Database)
	if err != nil {
		return err
	}
	if !copyExists {
		return p.alreadyRestored(ctx, conn, live, b)
	}
	if err := allowConnections(ctx, conn, b.Database, true); err != nil {
		return err
	}
	boundary("pg-reopened")
	sum, err := p.sumLike(ctx, b.Database, b.Checksum)
	if err != nil {
		return err
	}
	if sum != b.Checksum {
		return fmt.Errorf("dbcopy: the backup database %s has digest %s, not %s as when it was made: it was changed or damaged; the live database %s was left as it is; restore from another backup", b.Database, sum, b.Checksum, live)
	}
	return swapIn(ctx, conn, b.Database, live)
}

// alreadyRestored handles a restore whose copy is gone: after a crash
// between the rename and the end of Restore, the live database is the
// copy, which its digest proves.
func (p Postgres) alreadyRestored(ctx context.Context, conn *pgx.Conn, live string, b erp.Backup) error {
	liveExists, err := databaseExists(ctx, conn, live)
	if err != nil {
		return err
	}
	if liveExists {
		if sum, err := p.sumLike(ctx, live, b.Checksum); err == nil && sum == b.Checksum {
			return nil
		}
	}
	return fmt.Errorf("dbcopy: the backup database %s is gone and %s does not match it: the backup was dropped or already used; restore from another backup (the database was left as it is)", b.Database, live)
}

// swapIn replaces the live database with from by two renames: live
// aside (its sessions ended), from to live. Drop removes the one set aside
// later. A crash between the two leaves from in place and live missing,
// which Restore finishes by the second rename.
func swapIn(ctx context.Context, conn *pgx.Conn, from, live string) error {
	props, err := readProps(ctx, conn, live)
	if err != nil && !errors.Is(err, errNoDatabase) {
		return err
	}
	if props != nil {
		if err := setAside(ctx, conn, live); err != nil {
			return err
		}
	}
	boundary("pg-set-aside")
	if err := exec1(ctx, conn, "ALTER DATABASE "+ident(from)+" RENAME TO "+ident(live)); err != nil {
		return err
	}
	boundary("pg-renamed")
	if props != nil {
		return props.apply(ctx, conn, live)
	}
	return nil
}

// setAside renames live to its aside name, after ending its sessions (a
// database in use cannot be renamed) and dropping an earlier aside one.
func setAside(ctx context.Context, conn *pgx.Conn, live string) error {
	aside := asideName(live)
	if err := dropDatabase(ctx, conn, aside); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", live); err != nil {
		return fmt.Errorf("dbcopy: end the sessions left on %s: %w%s", live, err, privilegeHint(err))
	}
	return exec1(ctx, conn, "ALTER DATABASE "+ident(live)+" RENAME TO "+ident(aside))
}

// backupDump writes pg_dump -Fc of the live database into dir (one
// consistent snapshot) and records the shape of its catalog (relations
// and columns), which a restore checks on the loaded copy before it
// replaces the live database; no row is read twice.
func (p Postgres) backupDump(ctx context.Context, dir string) (erp.Backup, error) {
	_, live, err := p.live()
	if err != nil {
		return erp.Backup{}, err
	}
	sum, err := p.catalogSum(ctx, live, false)
	if err != nil {
		return erp.Backup{}, err
	}
	file := filepath.Join(dir, dumpFile)
	if err := p.run(ctx, p.tool(p.PgDump, "pg_dump"), live, "-Fc", "-f", file); err != nil {
		return erp.Backup{}, err
	}
	// The archive's table of contents must read back.
	if err := p.run(ctx, p.tool(p.PgRestore, "pg_restore"), "", "--list", file); err != nil {
		return erp.Backup{}, fmt.Errorf("dbcopy: the dump %s does not read back: %w", file, err)
	}
	st, err := os.Stat(file)
	if err != nil {
		return erp.Backup{}, fmt.Errorf("dbcopy: stat the dump: %w", err)
	}
	return erp.Backup{Method: MethodPGDump, Path: dir, Size: st.Size(), Checksum: sum}, nil
}

// restoreDump loads the dump into a fresh database, checks its checksum,
// and swaps it in for the live database.
func (p Postgres) restoreDump(ctx context.Context, b erp.Backup) error {
	_, live, err := p.live()
	if err != nil {
		return err
	}
	conn, err := p.admin(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	staging := derivedName(live, "_upkeep_restore")
	if done, err := p.resumeRestore(ctx, conn, staging, live, b); done || err != nil {
		return err
	}
	if err := p.loadDump(ctx, conn, staging, live, b); err != nil {
		_ = dropDatabase(context.Background(), conn, staging)
		return err
	}
	return swapIn(ctx, conn, staging, live)
}

// resumeRestore finishes a restore that a crash interrupted after the live
// database was dropped (the verified staging database is renamed), or
// drops a staging database left half-loaded. done says nothing is left.
func (p Postgres) resumeRestore(ctx context.Context, conn *pgx.Conn, staging, live string, b erp.Backup) (done bool, err error) {
	stagingExists, err := databaseExists(ctx, conn, staging)
	if err != nil || !stagingExists {
		return false, err
	}
	liveExists, err := databaseExists(ctx, conn, live)
	if err != nil {
		return false, err
	}
	if !liveExists {
		if sum, err := p.sumLike(ctx, staging, b.Checksum); err == nil && sum == b.Checksum {
			return true, exec1(ctx, conn, "ALTER DATABASE "+ident(staging)+" RENAME TO "+ident(live))
		}
	}
	return false, dropDatabase(ctx, conn, staging)
}

// loadDump creates staging like the live database and pg_restores into it.
func (p Postgres) loadDump(ctx context.Context, conn *pgx.Conn, staging, live string, b erp.Backup) error {
	props, err := readProps(ctx, conn, live)
	if errors.Is(err, errNoDatabase) {
		props, err = &dbProps{}, nil // the live database is gone: the cluster's defaults
	}
	if err != nil {
		return err
	}
	if err := exec1(ctx, conn, "CREATE DATABASE "+ident(staging)+" TEMPLATE template0"+props.createOptions()); err != nil {
		return err
	}
	file := filepath.Join(b.Path, dumpFile)
	if err := p.run(ctx, p.tool(p.PgRestore, "pg_restore"), staging, "--exit-on-error", "--single-transaction", file); err != nil {
		return fmt.Errorf("dbcopy: the dump %s cannot be restored (the live database %s was left as it is): %w", file, live, err)
	}
	sum, err := p.sumLike(ctx, staging, b.Checksum)
	if err != nil {
		return err
	}
	if sum != b.Checksum {
		return fmt.Errorf("dbcopy: the dump %s restores to digest %s, not %s as the database had when it was dumped: the dump is damaged; the live database %s was left as it is; restore from another backup", file, sum, b.Checksum, live)
	}
	return nil
}

func (p Postgres) tool(configured, name string) string {
	if configured != "" {
		return configured
	}
	return name
}

// run runs a PostgreSQL client program; db, when set, is passed as a
// connection URI without the password, which goes in PGPASSWORD.
func (p Postgres) run(ctx context.Context, prog, db string, args ...string) error {
	cfg, _, err := p.live()
	if err != nil {
		return err
	}
	env := append(os.Environ(), "PGAPPNAME=upkeep", fmt.Sprintf("PGCONNECT_TIMEOUT=%d", int(pgConnectTimeout.Seconds())))
	if db != "" {
		u, err := url.Parse(p.URL)
		if err != nil {
			return fmt.Errorf("dbcopy: parse the PostgreSQL URL %s: %w", redact(p.URL), err)
		}
		u.User = url.User(cfg.User)
		u.Path, u.RawPath = "/"+db, ""
		args = append([]string{"--dbname=" + u.String()}, args...)
		env = append(env, "PGPASSWORD="+cfg.Password)
	}
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = env
	cmd.Dir = os.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return fmt.Errorf("dbcopy: %s is not installed: install postgresql-client (the version of the server or newer): %w", prog, err)
		}
		return fmt.Errorf("dbcopy: %s %s: %w: %s", filepath.Base(prog), strings.Join(args[len(args)-1:], " "), err, tail(string(out), 5))
	}
	return nil
}

// tail returns the last n non-empty lines of s, joined by " | ".
func tail(s string, n int) string {
	lines := strings.FieldsFunc(strings.TrimSpace(s), func(r rune) bool { return r == '\n' })
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// derivedName is live with suffix, cut to PostgreSQL's 63-byte limit.
func derivedName(live, suffix string) string {
	const maxIdent = 63
	if len(live)+len(suffix) > maxIdent {
		live = live[:maxIdent-len(suffix)]
	}
	return live + suffix
}

func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

func exec1(ctx context.Context, conn *pgx.Conn, sql string) error {
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("dbcopy: %s: %w%s", sql, err, privilegeHint(err))
	}
	return nil
}

// privilegeHint says what to grant when PostgreSQL refused for lack of it.
func privilegeHint(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" { // insufficient_privilege
		return "; the role must own the database and have CREATEDB (ALTER ROLE name CREATEDB), or be a superuser"
	}
	if errors.As(err, &pgErr) && pgErr.Code == "55006" { // object_in_use
		return "; another session uses the database: stop the ERP server and its cron workers"
	}
	return ""
}

func databaseExists(ctx context.Context, conn *pgx.Conn, name string) (bool, error) {
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		return false, fmt.Errorf("dbcopy: look up database %s: %w", name, err)
	}
	return n > 0, nil
}

// dropDatabase drops name when it exists, ending its sessions first.
func dropDatabase(ctx context.Context, conn *pgx.Conn, name string) error {
	return exec1(ctx, conn, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)")
}

// clone makes copyName from live as a template, after ending the sessions
// left on live (CREATE DATABASE refuses a source in use).
func clone(ctx context.Context, conn *pgx.Conn, live, copyName string, props *dbProps) error {
	if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", live); err != nil {
		return fmt.Errorf("dbcopy: end the sessions left on %s: %w%s", live, err, privilegeHint(err))
	}
	if err := exec1(ctx, conn, "CREATE DATABASE "+ident(copyName)+" TEMPLATE "+ident(live)+" OWNER "+ident(props.owner)+fileCopy(ctx, conn, live)); err != nil {
		return err
	}
	return props.apply(ctx, conn, copyName)
}

// fileCopyFrom is the database size from which a clone copies files.
const fileCopyFrom = 64 << 20

// fileCopy asks PostgreSQL 15 and later to copy the template's files (after
// a checkpoint) rather than write every block to the WAL, their default,
// when the database is big: 0.7 s instead of 4.3 s for 411 MB here. A
// small one is cheaper through the WAL than through a checkpoint of a busy
// cluster. Earlier versions only copy files, and do not know the option.
func fileCopy(ctx context.Context, conn *pgx.Conn, live string) string {
	v := conn.PgConn().ParameterStatus("server_version")
	major, _, _ := strings.Cut(v, ".")
	if n, err := strconv.Atoi(major); err != nil || n < 15 {
		return ""
	}
	var size int64
	if err := conn.QueryRow(ctx, "SELECT pg_database_size($1)", live).Scan(&size); err != nil || size < fileCopyFrom {
		return ""
	}
	return " STRATEGY = FILE_COPY"
}

// BackupRoom is the room p's method needs in the backup folder: none for a
// clone, which lives on the cluster; the database's size for a dump (its
// upper bound: the dump is compressed). For a clone it checks the
// cluster's own disk when it can see it (a local cluster whose
// data_directory the role may read) and refuses when the database's size
// is not free there.
func (p Postgres) BackupRoom(ctx context.Context, _ string) (int64, error) {
	size, err := p.Size(ctx)
	if err != nil || p.method() == MethodPGDump {
		return size, err
	}
	return 0, p.checkClusterRoom(ctx, size)
}

// checkClusterRoom refuses a clone of size bytes on a local cluster whose
// disk has less free; a cluster it cannot see is not checked.
func (p Postgres) checkClusterRoom(ctx context.Context, size int64) error {
	cfg, _, err := p.live()
	if err != nil {
		return err
	}
	if h := cfg.Host; h != "localhost" && h != "127.0.0.1" && h != "::1" && !strings.HasPrefix(h, "/") {
		return nil // another machine's disk
	}
	conn, err := p.admin(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var dataDir string
	if err := conn.QueryRow(ctx, "SELECT coalesce((SELECT setting FROM pg_settings WHERE name = 'data_directory'), '')").Scan(&dataDir); err != nil || dataDir == "" {
		return nil // the role may not read it: PostgreSQL itself refuses a clone that does not fit
	}
	free, err := platform.FreeBytes(dataDir)
	if err != nil {
		return nil // a remote cluster, or one this user cannot stat
	}
	if free < size+size/10 {
		return fmt.Errorf("dbcopy: the PostgreSQL data directory %s has %d MiB free, and the backup clone of the database needs about %d MiB there: free some room, or set pg_backup = %q to dump into the state folder instead",
			dataDir, free>>20, (size+size/10)>>20, MethodPGDump)
	}
	return nil
}
