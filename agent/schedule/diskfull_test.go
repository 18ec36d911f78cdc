package schedule_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/schedule"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/internal/disktest"
)

// While the state database's disk is full, the news of a scheduled check
// waits in memory (the status says why) and is recorded and sent once, as
// soon as room is freed: nothing is lost, nothing is doubled.
func TestNewsWaitsInMemoryWhileTheDiskIsFull(t *testing.T) {
	dir := disktest.Mount(t, "4m")
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	s := newSimIn(t, dir, start, schedule.Spec{Every: time.Hour}, map[string]string{"arp": "1.4.0"})
	s.world.publish(start.Add(90*time.Minute), "arp", "1.4.0.1", catalog.KindPatch)
	truncateWAL(t, filepath.Join(dir, store.File))
	filler := disktest.Fill(t, dir, 0)

	s.runUntil(start.Add(150 * time.Minute))
	if got := s.eventsByKind()[store.EventPatches]; len(got) != 0 {
		t.Fatalf("patch events recorded on a full disk: %v (the test's premise is a log that cannot be written)", got)
	}
	if st := s.sched.Status(); !strings.Contains(st.RecordError, "disk is full") || !strings.Contains(st.RecordError, "kept in memory") {
		t.Errorf("status while the log cannot be written: RecordError %q, want it to say the disk is full and the events wait", st.RecordError)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	s.runUntil(start.Add(270 * time.Minute))
	if got := s.eventsByKind()[store.EventPatches]; len(got) != 1 || got[0] != "patches:arp@1.4.0.1" {
		t.Errorf("patch events once room was freed: %v, want the patch news once", got)
	}
	if st := s.sched.Status(); st.RecordError != "" {
		t.Errorf("RecordError %q once the log is written again, want none", st.RecordError)
	}
	if got, _ := s.hook.counts(); got["patches:arp@1.4.0.1"] != 1 {
		t.Errorf("webhook deliveries %v, want the patch news once", got)
	}
}

// truncateWAL empties the database's write-ahead log, so that its next
// write needs new room on the disk.
func truncateWAL(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatalf("PRAGMA wal_checkpoint(TRUNCATE): %v", err)
	}
}
