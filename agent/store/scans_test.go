package store

import (
	"testing"
	"time"
)

// TestSameReportAgainMovesItsTime: saving the report the last scan saved
// moves that scan's time and adds no row; any other report is a new scan.
func TestSameReportAgainMovesItsTime(t *testing.T) {
	ctx := t.Context()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	s, err := Open(t.TempDir(), func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	save := func(summary, report string) int64 {
		t.Helper()
		at = at.Add(time.Minute)
		id, err := s.SaveScan(ctx, summary, []byte(report))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a := save("1 patch", `{"patches":[1]}`)
	if again := save("1 patch", `{"patches":[1]}`); again != a {
		t.Fatalf("the same report again saved scan %d, want scan %d moved", again, a)
	}
	got, err := s.Scans(ctx, 5)
	if err != nil || len(got) != 1 || got[0].At != "2026-03-01T10:02:00Z" {
		t.Fatalf("scans after the same report twice = %+v (%v), want one at 10:02", got, err)
	}
	b := save("1 patch", `{"patches":[2]}`)
	c := save("1 patch", `{"patches":[1]}`) // not the last one saved: a new scan
	if b == a || c == b || c == a {
		t.Fatalf("scan ids %d, %d, %d: want three scans", a, b, c)
	}
	if got, _ := s.Scans(ctx, 5); len(got) != 3 || got[0].Report != `{"patches":[1]}` {
		t.Fatalf("scans = %+v, want three, the newest with patch 1", got)
	}
}
