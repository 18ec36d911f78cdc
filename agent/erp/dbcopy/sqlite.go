package dbcopy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
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

// BackupSQLite copies the closed SQLite database live into dir: a
// copy-on-write clone where the filesystem can (btrfs, XFS: the same cost
// whatever the size), else a byte copy flushed to disk whose sha256 is
// taken as it is written. The copy is then checked without reading it
// again: its size, its header, and PRAGMA quick_check when the database is
// small enough for it to be cheap (quickCheckUpTo). It refuses a database
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
	sum, size, err := cloneOrCopy(dst, live, before.Mode().Perm())
	if err != nil {
		return erp.Backup{}, fmt.Errorf("back up %s: %w", live, err)
	}
	boundary("sqlite-copied")
	if after, err := os.Stat(live); err != nil || after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		return erp.Backup{}, fmt.Errorf("back up %s: the database changed while it was copied: stop the ERP server first", live)
	}
	if sum == "" { // a clone: its blocks are live's, the header names its state
		if sum, err = headerSum(dst, size); err != nil {
			return erp.Backup{}, fmt.Errorf("back up %s: %w", live, err)
		}
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

// quickCheckUpTo is the size up to which a backup runs PRAGMA quick_check:
// it reads every page (about a second for 256 MB here), which a bigger
// database's outage should not wait for.
const quickCheckUpTo = 256 << 20

// headerPrefix starts the Checksum of a cloned SQLite backup: its size and
// the sha256 of its 100-byte header, whose change counter SQLite bumps on
// every write to the file.
const headerPrefix = "sqlite-header:"

// headerSum is the Checksum of a cloned backup of size bytes at path.
func headerSum(path string, size int64) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 100)
	if _, err := io.ReadFull(f, head); err != nil {
		return "", fmt.Errorf("%s is not a SQLite database (shorter than its header): %w", path, err)
	}
	h := sha256.Sum256(head)
	return fmt.Sprintf("%s%d:%s", headerPrefix, size, hex.EncodeToString(h[:])), nil
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

// verifyCopy checks the copy without reading all of it: its size, its
// header (SQLite's magic, page size and page count agreeing with the
// size), and PRAGMA quick_check when it is small; opened immutable, so
// that nothing is written beside it.
func verifyCopy(ctx context.Context, b erp.Backup) error {
	if err := checkHeader(b.Path, b.Size); err != nil {
		return fmt.Errorf("verify the backup: %w; check the disk", err)
	}
	if b.Size > quickCheckUpTo {
		return nil
	}
	db, err := sqlx.Open("sqlite3", sqliteDSN(b.Path, "mode=ro&immutable=1"))
	if err != nil {
		return fmt.Errorf("verify the backup: open %s: %w", b.Path, err)
	}
	defer db.Close()
	var problems []string
	if err := db.SelectContext(ctx, &problems, "PRAGMA quick_check"); err != nil {
		return fmt.Errorf("verify the backup %s: PRAGMA quick_check: %w; is the ERP database a SQLite file?", b.Path, err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		return fmt.Errorf("verify the backup %s: PRAGMA quick_check found the database damaged: %s; repair the live database before updating", b.Path, strings.Join(problems, "; "))
	}
	return nil
}

// checkHeader checks that the file at path is a SQLite database of size
// bytes: the magic string, and page size × page count = size.
func checkHeader(path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	head := make([]byte, 100)
	if _, err := io.ReadFull(f, head); err != nil || !bytes.HasPrefix(head, []byte("SQLite format 3\x00")) {
		return fmt.Errorf("%s does not start with a SQLite header: it is not a SQLite database or it is damaged", path)
	}
	pageSize := int64(binary.BigEndian.Uint16(head[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	pages := int64(binary.BigEndian.Uint32(head[28:32]))
	if st.Size() != size || pages*pageSize != size {
		return fmt.Errorf("%s has %d bytes and its header says %d pages of %d bytes, for %d recorded: it was cut short or damaged", path, st.Size(), pages, pageSize, size)
	}
	return nil
}

// RestoreSQLite replaces the database live with the backup b, exactly:
// it checks the backup first (a damaged backup is refused and live is not
// touched), clones it beside live (or copies it, checking its sha256 as
// it reads), removes SQLite's leftover journal files, renames the copy
// over live and flushes the folder. It can run again after a crash at any
// point: the backup itself is never moved or changed.
func RestoreSQLite(b erp.Backup, live string) error {
	if b.Method != MethodSQLiteFile {
		return fmt.Errorf("restore %s: the backup's method is %q, not %q: it was made by another adapter", live, b.Method, MethodSQLiteFile)
	}
	st, err := os.Stat(b.Path)
	if err != nil {
		return fmt.Errorf("restore %s: %w; the backup is gone: find the copy of %s elsewhere", live, err, b.Path)
	}
	if err := checkBackup(b); err != nil {
		return fmt.Errorf("restore %s: the backup %s is damaged (%v); the live database was not touched: restore from another copy", live, b.Path, err)
	}
	dir := filepath.Dir(live)
	removeRestoreTemps(dir, filepath.Base(live))
	tmp := filepath.Join(dir, restoreTempPrefix(filepath.Base(live))+"tmp")
	if err := restoreCopy(b, tmp, st.Mode().Perm()); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore %s: %w", live, err)
	}
	if err := platform.ChownLike(tmp, st); err != nil { // the backup's owner is the live file's
		os.Remove(tmp)
		return fmt.Errorf("restore %s: %w", live, err)
	}
	boundary("sqlite-restore-copied")
	return swapInRestored(tmp, live)
}

// checkBackup is the check a restore makes before it reads the backup:
// the header and size of a cloned one (its sha256 never taken).
func checkBackup(b erp.Backup) error {
	if !strings.HasPrefix(b.Checksum, headerPrefix) {
		return checkHeader(b.Path, b.Size)
	}
	sum, err := headerSum(b.Path, b.Size)
	if err != nil {
		return err
	}
	if sum != b.Checksum {
		return fmt.Errorf("its header is %s, recorded %s: it was written to since the backup", sum, b.Checksum)
	}
	return checkHeader(b.Path, b.Size)
}

// restoreCopy puts the backup at tmp: a backup whose sha256 was recorded
// is copied and its sha256 compared as it is read (one read, not two);
// a cloned one is cloned back, or copied where the filesystem cannot.
func restoreCopy(b erp.Backup, tmp string, perm os.FileMode) error {
	if strings.HasPrefix(b.Checksum, headerPrefix) {
		_, _, err := cloneOrCopy(tmp, b.Path, perm)
		return err
	}
	sum, size, err := copyFile(tmp, b.Path, perm)
	if err != nil {
		return err
	}
	if sum != b.Checksum || size != b.Size {
		return fmt.Errorf("the backup %s is damaged (%s, %d bytes; recorded %s, %d bytes); the live database was not touched: restore from another copy",
			b.Path, sum, size, b.Checksum, b.Size)
	}
	return nil
}

// cloneOrCopy makes dst a clone of src, or where the filesystem cannot,
// a byte copy whose sha256 it returns ("" for a clone) with the size.
func cloneOrCopy(dst, src string, perm os.FileMode) (string, int64, error) {
	err := platform.CloneFile(src, dst, perm)
	if err == nil {
		st, err := os.Stat(dst)
		if err != nil {
			return "", 0, err
		}
		return "", st.Size(), platform.SyncDir(filepath.Dir(dst))
	}
	if !errors.Is(err, platform.ErrCloneUnsupported) {
		return "", 0, err
	}
	return copyFile(dst, src, perm)
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
	boundary("sqlite-journals-removed")
	if err := os.Rename(tmp, live); err != nil {
		return fmt.Errorf("restore %s: rename the restored copy into place: %w", live, err)
	}
	boundary("sqlite-renamed")
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
		return "", fmt.Errorf("checksum: open %s: %w", path, err)
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

// SQLiteRoom is the room a backup of the SQLite database live needs in
// dir: none when dir's filesystem clones live (tried on live itself, which
// costs nothing where it works and fails at once where it does not), else
// its size with its journals.
func SQLiteRoom(live, dir string) (int64, error) {
	size, err := SQLiteSize(live)
	if err != nil {
		return 0, err
	}
	probe := filepath.Join(dir, ".upkeep-reflink-probe")
	os.Remove(probe)
	if err := platform.CloneFile(live, probe, 0o600); err == nil {
		os.Remove(probe)
		return 0, nil
	}
	return size, nil
}
