package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/apply"
)

// TestProgressNumbersARestoreOnItsOwn: the steps of a restore after a
// failed step are numbered as their own sequence, never past the plan's
// total, and the elapsed time is the real one, not rounded to 100ms.
func TestProgressNumbersARestoreOnItsOwn(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b}
	done := func(n int, name string, at time.Duration) {
		p.event(apply.Event{Step: n, Steps: 3, Name: name, Phase: apply.PhaseDone, Took: time.Millisecond, Elapsed: at})
	}
	done(1, "stop the ERP server", 40*time.Millisecond)
	done(2, "backup the database", 1234*time.Millisecond)
	p.event(apply.Event{Step: 3, Steps: 3, Name: "update core", Phase: apply.PhaseFailed, Line: "it broke"})
	for i, name := range []string{"restore: stop the ERP server", "restore: put the previous module folders back",
		"restore: the database from the backup", "restore: start the ERP server", "restore: health checks"} {
		done(4+i, name, 2*time.Minute+300*time.Millisecond)
	}
	out := b.String()
	for _, want := range []string{"[1/3] stop the ERP server  ok (1ms, 40ms elapsed)", "[2/3] backup the database  ok (1ms, 1.234s elapsed)",
		"[3/3] update core  FAILED", "[restore 1/5] restore: stop the ERP server  ok (1ms, 2m0s elapsed)", "[restore 5/5] restore: health checks"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"[4]", "[8]", "[4/3]"} {
		if strings.Contains(out, bad) {
			t.Errorf("progress numbers a step past the total (%s):\n%s", bad, out)
		}
	}
}
