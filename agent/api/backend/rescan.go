package backend

import (
	"context"
	"fmt"
	"time"

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/scanner"
	"github.com/upkeep-erp/upkeep/agent/schedule"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// rescanTimeout bounds the scan after an apply, which the run's end waits for.
const rescanTimeout = 2 * time.Minute

// afterRun scans again, saving the report and recording its news, once an
// apply changed the ERP (or restored it after changing it), so that the
// report shows the instance as it is now.
func (b *Backend) afterRun(ctx context.Context, t *tracked, res *apply.Result, cancelled bool) {
	if t.kind != store.KindApply || !touchedERP(res, cancelled) {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rescanTimeout)
	defer cancel()
	rep, err := b.scan(ctx, scanner.Request{})
	if err != nil {
		b.o.Log.Error("scan after the run; the report shows the instance as before it until the next scan", "run", res.Run, "err", err)
		return
	}
	b.recordNews(ctx, rep)
}

// touchedERP tells whether a run that ended got as far as changing the
// ERP: it succeeded, or it was restored after a step past download.
func touchedERP(res *apply.Result, cancelled bool) bool {
	if res == nil || cancelled {
		return false
	}
	return res.State == store.RunSucceeded || res.State == store.RunFailedRestored && !beforeTheERP(res.FailedStep)
}

// recordNews records a scan's news in the event log, as a scheduled check
// does (the same news is recorded once).
// A failure is logged and shown in the status until news is recorded again.
func (b *Backend) recordNews(ctx context.Context, rep *scan.Report) {
	var failed error
	for _, e := range schedule.News(rep) {
		if _, _, err := b.ev.Add(ctx, e); err != nil {
			b.o.Log.Error("record a scan's news", "title", e.Title, "err", err)
			failed = err
		}
	}
	b.setRecordError(failed)
}

// setRecordError keeps what the last recording of news failed with (nil:
// it worked) for the status's notes.
func (b *Backend) setRecordError(err error) {
	msg := ""
	switch {
	case err != nil && store.DiskFull(err):
		msg = fmt.Sprintf("the news of the last scan could not be recorded: the disk of the state folder ([state] dir) is full (%v); free room on it and check again", err)
	case err != nil:
		msg = fmt.Sprintf("the news of the last scan could not be recorded (%v); check the state database and check again", err)
	}
	b.mu.Lock()
	b.recordErr = msg
	b.mu.Unlock()
}

// over tells whether t's work has returned (its end is being recorded).
func (t *tracked) over(rs *runs) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return t.ended
}
