package dbcopy_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
	"github.com/upkeep-erp/upkeep/internal/cowfs"
)

func open(t *testing.T, path, params string) *sqlx.DB {
	t.Helper()
	db, err := sqlx.Open("sqlite3", "file:"+path+"?"+params)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// makeDB creates a database with a table of n rows and closes it.
func makeDB(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "erp.sqlite")
	db := open(t, path, "mode=rwc")
	defer db.Close()
	db.MustExec(`CREATE TABLE partner (id INTEGER PRIMARY KEY, name TEXT, amount REAL, photo BLOB)`)
	db.MustExec(`CREATE INDEX partner_name ON partner (name)`)
	tx := db.MustBegin()
	for i := range n {
		tx.MustExec(`INSERT INTO partner (name, amount, photo) VALUES (?, ?, ?)`, fmt.Sprintf("partner %d", i), float64(i)*1.5, []byte{byte(i), 0, 1})
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return path
}

func exec1(t *testing.T, path, sql string) {
	t.Helper()
	db := open(t, path, "mode=rwc")
	defer db.Close()
	db.MustExec(sql)
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func checksum(t *testing.T, path string) string {
	t.Helper()
	sum, err := dbcopy.SQLiteChecksum(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestBackupRestoreIsByteIdentical(t *testing.T) {
	live := makeDB(t, 2000)
	orig := read(t, live)
	b, err := dbcopy.BackupSQLite(t.Context(), live, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sum, size, err := dbcopy.FileSHA256(live)
	if err != nil {
		t.Fatal(err)
	}
	if b.Method != dbcopy.MethodSQLiteFile || b.Checksum != sum || b.Size != size || !bytes.Equal(read(t, b.Path), orig) {
		t.Fatalf("Backup = %+v; live is %s, %d bytes", b, sum, size)
	}
	exec1(t, live, `DELETE FROM partner WHERE id % 3 = 0; CREATE TABLE extra (x); INSERT INTO extra VALUES (1)`)
	for _, suffix := range []string{"-journal", "-wal", "-shm"} { // as a killed server leaves them
		if err := os.WriteFile(live+suffix, []byte("leftover"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := dbcopy.RestoreSQLite(b, live); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(read(t, live), orig) {
		t.Fatal("the restored database differs from the original bytes")
	}
	for _, suffix := range []string{"-journal", "-wal", "-shm"} {
		if _, err := os.Stat(live + suffix); !os.IsNotExist(err) {
			t.Errorf("%s was not removed by the restore: %v", suffix, err)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(live))
	if len(entries) != 1 {
		t.Errorf("the live folder holds %d entries after the restore, want only the database", len(entries))
	}
}

func TestRestoreAfterAnInterruptedRestore(t *testing.T) {
	live := makeDB(t, 500)
	orig := read(t, live)
	b, err := dbcopy.BackupSQLite(t.Context(), live, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	exec1(t, live, `UPDATE partner SET name = 'changed'`)
	// What a restore killed mid-copy leaves: a half-written temp file, and
	// the journal files already removed or not.
	tmp := filepath.Join(filepath.Dir(live), ".erp.sqlite.upkeep-restore-tmp")
	if err := os.WriteFile(tmp, orig[:len(orig)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := dbcopy.RestoreSQLite(b, live); err != nil {
			t.Fatalf("Restore #%d: %v", i+1, err)
		}
		if !bytes.Equal(read(t, live), orig) {
			t.Fatalf("after Restore #%d the database differs from the original", i+1)
		}
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the interrupted restore's temp file is still there: %v", err)
	}
}

func TestRestoreRefusesADamagedBackup(t *testing.T) {
	live := makeDB(t, 500)
	b, err := dbcopy.BackupSQLite(t.Context(), live, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	exec1(t, live, `UPDATE partner SET name = 'after the backup'`)
	before := read(t, live)
	data := read(t, b.Path)
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(b.Path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	err = dbcopy.RestoreSQLite(b, live)
	if err == nil || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), "not touched") {
		t.Fatalf("Restore of a damaged backup = %v, want a refusal", err)
	}
	if !bytes.Equal(read(t, live), before) {
		t.Error("a refused restore changed the live database")
	}
	if err := os.Remove(b.Path); err != nil {
		t.Fatal(err)
	}
	if err := dbcopy.RestoreSQLite(b, live); err == nil || !strings.Contains(err.Error(), "the backup is gone") {
		t.Errorf("Restore of a missing backup = %v", err)
	}
}

func TestBackupRefusesAWriteAheadLog(t *testing.T) {
	live := makeDB(t, 10)
	db := open(t, live, "mode=rw&_journal_mode=WAL")
	defer db.Close()
	db.MustExec(`INSERT INTO partner (name) VALUES ('only in the WAL')`)
	dir := t.TempDir()
	_, err := dbcopy.BackupSQLite(t.Context(), live, dir)
	if err == nil || !strings.Contains(err.Error(), "write-ahead log") || !strings.Contains(err.Error(), "wal_checkpoint") {
		t.Fatalf("Backup with a live WAL = %v, want a refusal with the remedy", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused backup left %d files", len(entries))
	}
}

// TestHelperCrashMidTransaction is run as a child process by
// TestBackupRefusesAHotJournal: it spills a transaction to the database
// file and waits to be killed.
func TestHelperCrashMidTransaction(t *testing.T) {
	path := os.Getenv("DBCOPY_CRASH_DB")
	if path == "" {
		t.Skip("a helper process for TestBackupRefusesAHotJournal")
	}
	db := open(t, path, "mode=rw&_journal_mode=DELETE")
	db.SetMaxOpenConns(1)
	db.MustExec(`PRAGMA cache_size = 2`) // spill dirty pages to the file mid-transaction
	tx := db.MustBegin()
	tx.MustExec(`UPDATE partner SET name = name || ' renamed with a much longer name than before'`)
	fmt.Println("in-transaction")
	time.Sleep(time.Minute)
}

func TestBackupRefusesAHotJournal(t *testing.T) {
	live := makeDB(t, 3000)
	want := checksum(t, live)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperCrashMidTransaction$")
	cmd.Env = append(os.Environ(), "DBCOPY_CRASH_DB="+live)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	if !strings.Contains(string(buf[:n]), "in-transaction") {
		cmd.Process.Kill()
		t.Fatalf("the helper did not reach its transaction: %q", buf[:n])
	}
	cmd.Process.Kill() // the power cut
	cmd.Wait()
	journal := read(t, live+"-journal")
	before := read(t, live)
	_, err = dbcopy.BackupSQLite(t.Context(), live, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "hot journal") {
		t.Fatalf("Backup with a hot journal = %v, want a refusal", err)
	}
	if !bytes.Equal(read(t, live), before) || !bytes.Equal(read(t, live+"-journal"), journal) {
		t.Error("the refused backup changed the database or its journal")
	}
	// SQLite rolls the journal back on the next read-write open; then the
	// backup works and holds the content from before the transaction.
	exec1(t, live, `SELECT 1`)
	if got := checksum(t, live); got != want {
		t.Errorf("after the rollback the content is %s, want %s as before the transaction", got, want)
	}
	if _, err := dbcopy.BackupSQLite(t.Context(), live, t.TempDir()); err != nil {
		t.Fatalf("Backup after the rollback: %v", err)
	}
}

func TestBackupRefusesADamagedDatabase(t *testing.T) {
	live := makeDB(t, 3000)
	data := read(t, live)
	pageSize := int(data[16])<<8 | int(data[17])
	data[pageSize] = 0x77 // page 2's b-tree page type: no such type
	if err := os.WriteFile(live, data, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, err := dbcopy.BackupSQLite(t.Context(), live, dir)
	if err == nil || !strings.Contains(err.Error(), "quick_check") {
		t.Fatalf("Backup of a damaged database = %v, want quick_check to refuse it", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed backup left %d files", len(entries))
	}
}

func TestBackupOfAMissingDatabase(t *testing.T) {
	_, err := dbcopy.BackupSQLite(t.Context(), filepath.Join(t.TempDir(), "none.sqlite"), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "none.sqlite") {
		t.Fatalf("Backup of a missing file = %v", err)
	}
}

func TestSQLiteChecksumFollowsContentNotStorage(t *testing.T) {
	a, b := makeDB(t, 300), makeDB(t, 300)
	if checksum(t, a) != checksum(t, b) {
		t.Fatal("two databases with the same content differ")
	}
	exec1(t, b, `VACUUM`)
	if checksum(t, a) != checksum(t, b) {
		t.Error("VACUUM changed the content checksum")
	}
	exec1(t, b, `UPDATE partner SET amount = amount + 0.5 WHERE id = 7`)
	if checksum(t, a) == checksum(t, b) {
		t.Error("a changed value left the checksum equal")
	}
	exec1(t, b, `UPDATE partner SET amount = amount - 0.5 WHERE id = 7`)
	exec1(t, b, `CREATE TABLE empty (x)`)
	if checksum(t, a) == checksum(t, b) {
		t.Error("a new empty table left the checksum equal")
	}
	// the same rows inserted in another order
	c, d := filepath.Join(t.TempDir(), "c.sqlite"), filepath.Join(t.TempDir(), "d.sqlite")
	exec1(t, c, `CREATE TABLE t (a, b); INSERT INTO t VALUES (1, 'x'), (2, 'y')`)
	exec1(t, d, `CREATE TABLE t (a, b); INSERT INTO t VALUES (2, 'y'), (1, 'x')`)
	if checksum(t, c) != checksum(t, d) {
		t.Error("row order changed the checksum")
	}
}

func TestSQLiteSize(t *testing.T) {
	live := makeDB(t, 100)
	n, err := dbcopy.SQLiteSize(live)
	st, _ := os.Stat(live)
	if err != nil || n != st.Size() {
		t.Errorf("SQLiteSize = %d, %v; the file has %d bytes", n, err, st.Size())
	}
	if room, err := dbcopy.SQLiteRoom(live, t.TempDir()); err != nil || room != st.Size() && room != 0 {
		t.Errorf("SQLiteRoom = %d, %v; want the size %d (a copy) or 0 (a clone)", room, err, st.Size())
	}
	if _, err := dbcopy.SQLiteSize(live + ".missing"); err == nil {
		t.Error("SQLiteSize of a missing file succeeded")
	}
}

// TestSQLiteBackupClonesOnBtrfs: on a filesystem with reflinks the backup
// and the restore are clones, checked by size and header; a backup written
// to since is refused with live untouched.
func TestSQLiteBackupClonesOnBtrfs(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the test filesystem is a Linux loop mount")
	}
	dir := cowfs.Dir(t, 256<<20)
	live := filepath.Join(dir, "erp.sqlite")
	if err := os.Rename(makeDB(t, 2000), live); err != nil {
		if err := os.WriteFile(live, read(t, makeDB(t, 2000)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	orig := read(t, live)
	backups := filepath.Join(dir, "backup")
	if err := os.Mkdir(backups, 0o755); err != nil {
		t.Fatal(err)
	}
	if room, err := dbcopy.SQLiteRoom(live, backups); err != nil || room != 0 {
		t.Errorf("SQLiteRoom on btrfs = %d, %v; want 0 (a clone)", room, err)
	}
	b, err := dbcopy.BackupSQLite(t.Context(), live, backups)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.Checksum, "sqlite-header:") || !bytes.Equal(read(t, b.Path), orig) {
		t.Fatalf("backup on btrfs = %+v; want a clone recorded by its header", b)
	}
	exec1(t, live, `UPDATE partner SET name = 'changed'`)
	if err := dbcopy.RestoreSQLite(b, live); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(read(t, live), orig) {
		t.Fatal("the restored database differs from the original")
	}
	exec1(t, b.Path, `UPDATE partner SET name = 'tampered' WHERE id = 5`)
	exec1(t, live, `UPDATE partner SET name = 'changed'`)
	before := read(t, live)
	err = dbcopy.RestoreSQLite(b, live)
	if err == nil || !strings.Contains(err.Error(), "written to since the backup") {
		t.Fatalf("Restore of a backup written to = %v, want a refusal", err)
	}
	if !bytes.Equal(read(t, live), before) {
		t.Error("a refused restore changed the live database")
	}
}
