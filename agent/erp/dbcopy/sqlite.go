package dbcopy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // the SQLite driver

	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/platform"
)

// MethodSQLiteFile is the Backup.Method of a byte copy of a SQLite file.
const MethodSQLiteFile = "sqlite-file"

// journalMagic starts a rollback journal that holds a transaction to undo.
var journalMagic = []byte{0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7}

// leftovers are the files SQLite keeps beside a database.
var leftovers = []string{"-journal", "-wal", "-shm"}

// BackupSQLite copies the closed SQLite database live into dir as a byte
// copy, flushed to disk, then checks it: the copy's sha256 must match the
// bytes read and PRAGMA integrity_check must say ok. It refuses a database
// with a hot journal or a write-ahead log, whose main file alone is not the
// database. On error no copy is left in dir.
func BackupSQLite(ctx context.Context, live, dir string) (b erp.Backup, err error) {
	if err := checkClosed(live); err != nil {
		return erp.Backup{}, err
	}
	before, err := os.Stat(live)
	if err != nil {
		return erp.Backup{}, fmt.Errorf("back up the database: %w; check the ERP's database path", err)
	}
	dst := filepath.Join(dir, filepath.Base(live))
	defer func() {
		if err != nil {
			os.Remove(dst)
		}
	}()
	sum, size, err := copyFile(dst, live, before.Mode().Perm())
	if err != nil {
		return erp.Backup{}, fmt.Errorf("back up %s: %w", live, err)
	}
	if after, err := os.Stat(live); err != nil || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		return erp.Backup{}, fmt.Errorf("back up %s: the database changed while it was copied: stop the ERP server first", live)
	}
	b = erp.Backup{Method: MethodSQLiteFile, Path: dst, Size: size, Checksum: sum}
	if err := verifyCopy(ctx, b); err != nil {
		return erp.Backup{}, err
	}
	if err := platform.ChownLike(dst, before); err != nil {
		return erp.Backup{}, fmt.Errorf("back up %s: %w", live, err)
	}
	return b, nil
}

// checkClosed refuses a database whose journal or write-ahead log holds
// changes that its main file lacks.
func checkClosed(live string) error {
	if j, err := os.ReadFile(live + "-journal"); err == nil && bytes.HasPrefix(j, journalMagic) {
		return fmt.Errorf("back up %s: it has a hot journal (%s-journal): a transaction was cut short and the file alone is inconsistent; "+
			"let SQLite roll it back by starting and stopping the ERP server once (or: sqlite3 %s 'PRAGMA integrity_check'), then apply again", live, live, live)
	}
	if st, err := os.Stat(live + "-wal"); err == nil && st.Size() > 0 {
		return fmt.Errorf("back up %s: its write-ahead log %s-wal holds changes not yet in the file: the ERP server still runs or did not close cleanly; "+
			"stop it, or run: sqlite3 %s 'PRAGMA wal_checkpoint(TRUNCATE)', then apply again", live, live, live)
	}
	return nil
}

// verifyCopy re-reads the copy, compares its sha256 and runs integrity_check
// on it, opened immutable so that nothing is written beside it.
func verifyCopy(ctx context.Context, b erp.Backup) error {
	sum, size, err := FileSHA256(b.Path)
	if err != nil {
		return fmt.Errorf("verify the backup: %w", err)
	}
	if sum != b.Checksum || size != b.Size {
		return fmt.Errorf("verify the backup %s: it reads back as %s (%d bytes), not the %s (%d bytes) written: check the disk", b.Path, sum, size, b.Checksum, b.Size)
	}
	db, err := sqlx.Open("sqlite3", sqliteDSN(b.Path, "mode=ro&immutable=1"))
	if err != nil {
		return fmt.Errorf("verify the backup: sqlx.Open %s: %w", b.Path, err)
	}
	defer db.Close()
	var problems []string
	if err := db.SelectContext(ctx, &problems, "PRAGMA integrity_check"); err != nil {
		return fmt.Errorf("verify the backup %s: PRAGMA integrity_check: %w; is the ERP database a SQLite file?", b.Path, err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		return fmt.Errorf("verify the backup %s: PRAGMA integrity_check found the database damaged: %s; repair the live database before updating", b.Path, strings.Join(problems, "; "))
	}
	return nil
}

// RestoreSQLite replaces the database live with the backup b, exactly: it
// checks the backup's sha256 first (a damaged backup is refused and live is
// not touched), writes a temp file beside live, flushes it, removes SQLite's
// leftover journal files, renames the copy over live and flushes the folder.
// It can run again after a crash at any point.
func RestoreSQLite(b erp.Backup, live string) error {
	if b.Method != MethodSQLiteFile {
		return fmt.Errorf("restore %s: the backup's method is %q, not %q: it was made by another adapter", live, b.Method, MethodSQLiteFile)
	}
	sum, size, err := FileSHA256(b.Path)
	if err != nil {
		return fmt.Errorf("restore %s: %w; the backup is gone: find the copy of %s elsewhere", live, err, b.Path)
	}
	if sum != b.Checksum || size != b.Size {
		return fmt.Errorf("restore %s: the backup %s is damaged (%s, %d bytes; recorded %s, %d bytes); the live database was not touched: restore from another copy",
			live, b.Path, sum, size, b.Checksum, b.Size)
	}
	dir := filepath.Dir(live)
	removeRestoreTemps(dir, filepath.Base(live))
	st, err := os.Stat(b.Path)
	if err != nil {
		return fmt.Errorf("restore %s: %w", live, err)
	}
	tmp := filepath.Join(dir, restoreTempPrefix(filepath.Base(live))+"tmp")
	if _, _, err := copyFile(tmp, b.Path, st.Mode().Perm()); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore %s: %w", live, err)
	}
	if err := platform.ChownLike(tmp, st); err != nil { // the backup's owner is the live file's
		os.Remove(tmp)
		return fmt.Errorf("restore %s: %w", live, err)
	}
	return swapInRestored(tmp, live)
}

// swapInRestored removes live's journal files (a stale journal would be
// replayed into the restored file), renames tmp over live and flushes.
func swapInRestored(tmp, live string) error {
	for _, suffix := range leftovers {
		if err := os.Remove(live + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restore %s: remove %s%s: %w", live, live, suffix, err)
		}
	}
	dir := filepath.Dir(live)
	if err := platform.SyncDir(dir); err != nil {
		return fmt.Errorf("restore %s: %w", live, err)
	}
	if err := os.Rename(tmp, live); err != nil {
		return fmt.Errorf("restore %s: rename the restored copy into place: %w", live, err)
	}
	if err := platform.SyncDir(dir); err != nil {
		return fmt.Errorf("restore %s: %w", live, err)
	}
	return nil
}

// restoreTempPrefix names the temp files of restoring base.
func restoreTempPrefix(base string) string { return "." + base + ".upkeep-restore-" }

// removeRestoreTemps removes what an interrupted restore left in dir.
func removeRestoreTemps(dir, base string) {
	matches, _ := filepath.Glob(filepath.Join(dir, restoreTempPrefix(base)+"*"))
	for _, m := range matches {
		os.Remove(m)
	}
}

// copyFile copies src to the new file dst (mode perm), flushed to disk, and
// returns the sha256 of the bytes copied and their count.
func copyFile(dst, src string, perm os.FileMode) (string, int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", 0, fmt.Errorf("open %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return "", 0, fmt.Errorf("create %s: %w", dst, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	if err := os.Chmod(dst, perm); err != nil {
		return "", 0, fmt.Errorf("chmod %s: %w", dst, err)
	}
	if err := platform.SyncDir(filepath.Dir(dst)); err != nil {
		return "", 0, err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), n, nil
}

// SQLiteChecksum returns Checksum over the schema and every table of the
// SQLite database at path, opened read-only.
func SQLiteChecksum(ctx context.Context, path string) (string, error) {
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("checksum: %w", err)
	}
	db, err := sqlx.Open("sqlite3", sqliteDSN(path, "mode=ro&_busy_timeout=10000"))
	if err != nil {
		return "", fmt.Errorf("checksum: sqlx.Open %s: %w", path, err)
	}
	defer db.Close()
	var tables []string
	if err := db.SelectContext(ctx, &tables, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`); err != nil {
		return "", fmt.Errorf("checksum %s: list the tables: %w", path, err)
	}
	schema := "SELECT type, name, tbl_name, sql FROM sqlite_master"
	return Checksum(ctx, db, append([]string{schema}, TableQueries(tables)...)...)
}

// SQLiteSize returns the bytes of the database file at path and its
// journal files: what a backup needs.
func SQLiteSize(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("size of the database: %w", err)
	}
	n := st.Size()
	for _, suffix := range leftovers[:2] {
		if st, err := os.Stat(path + suffix); err == nil {
			n += st.Size()
		}
	}
	return n, nil
}

// sqliteDSN returns the go-sqlite3 URI of the file at path with params.
func sqliteDSN(path, params string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive path: file:///C:/...
	}
	return "file://" + (&url.URL{Path: p}).EscapedPath() + "?" + params
}
