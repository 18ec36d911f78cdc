package backend

import (
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/store"
)

func TestOutcomeEventSaysWhatTheJournalLacks(t *testing.T) {
	tr := &tracked{by: "cli: root"}
	cases := []struct {
		res        apply.Result
		kind       string
		title, not string
	}{
		{apply.Result{Run: 1, State: store.RunFailedRestored, FailedStep: "download and verify 2 archives", Error: "HTTP 403"},
			store.EventFailedRestored, "nothing changed", "restored"},
		{apply.Result{Run: 2, State: store.RunFailedRestored, FailedStep: "update notes", Error: "exit 1"},
			store.EventFailedRestored, "instance restored as it was", "nothing changed"},
		{apply.Result{Run: 3, State: store.RunRestoring, FailedStep: "backup the database",
			Error: "the ERP was restored as it was before the apply and passed its health checks; but the journal could not record it"},
			store.EventRestoreFailed, "journal could not record the restore", "so did the restore"},
		{apply.Result{Run: 4, State: store.RunRestoreFailed, FailedStep: "update notes", Error: "restore: start failed"},
			store.EventRestoreFailed, "so did the restore", "journal"},
	}
	for _, c := range cases {
		e := outcomeEvent(tr, &c.res)
		if e.Kind != c.kind || !strings.Contains(e.Title, c.title) || strings.Contains(e.Title, c.not) || !strings.Contains(e.Body, c.res.Error) {
			t.Errorf("run %d (%s): %s %q\n%s\nwant %s saying %q, not %q, with the error", c.res.Run, c.res.State, e.Kind, e.Title, e.Body, c.kind, c.title, c.not)
		}
	}
}
