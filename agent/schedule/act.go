package schedule

import (
	"context"
	"fmt"

	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// handle plans from a report, records its news and stages, rehearses and
// applies as Decide says. It reports whether a plan waits for a window.
func (s *Scheduler) handle(ctx context.Context, report *scan.Report) (waiting bool) {
	var plan *scan.Plan
	if len(report.Target) > 0 {
		p, err := s.a.Plan(report)
		if err != nil {
			s.record(ctx, planFailedEvent(err))
		}
		plan = p
	}
	seen, err := s.ev.Seen(ctx, Keys(report, plan)...)
	if err != nil {
		// Without the history the schedule could apply a plan that failed before: do nothing.
		s.opt.Logger.Error("read the event history; doing nothing until it can be read", "err", err)
		return false
	}
	s.markUnrecorded(seen)
	in := Input{Report: report, Plan: plan, Policy: s.spec.Policy, InWindow: s.spec.Windows.Contains(s.now()),
		Seen: seen, Staged: plan != nil && plan.Hash == s.staged}
	if plan != nil && s.spec.Policy.RequireRehearsal && in.InWindow && PlanAction(plan, s.spec.Policy) == Apply {
		if in.RehearsalPassed, err = s.a.RehearsalPassed(ctx, plan.Hash); err != nil {
			s.opt.Logger.Warn("look up the plan's rehearsals; rehearsing again", "err", err)
		}
	}
	d := Decide(in)
	s.record(ctx, d.News...)
	if plan != nil && !d.Apply {
		s.opt.Logger.Info("plan not applied now", "plan", plan.Hash, "why", d.Why)
	}
	if d.Stage && !s.stage(ctx, plan, d.Action) {
		return false
	}
	waiting = d.WaitForWindow
	s.setStatus(func(st *Status) {
		st.Waiting = ""
		if waiting {
			st.Waiting = planWords(plan)
		}
	})
	if d.Apply {
		waiting = s.apply(ctx, plan, d.Rehearse)
	}
	return waiting
}

// stage downloads and stages plan; it reports success.
func (s *Scheduler) stage(ctx context.Context, plan *scan.Plan, a Action) bool {
	if err := s.a.Stage(ctx, plan); err != nil {
		s.record(ctx, problemEvent("stage", plan, err))
		return false
	}
	s.staged = plan.Hash
	title := "Staged " + planWords(plan)
	body := "Downloaded and verified; apply the plan by hand when ready.\n"
	if a == Apply {
		title = "Staged " + planCount(plan) + " for the next maintenance window: " + planNames(plan)
		body = fmt.Sprintf("Downloaded and verified; applied silently in the next maintenance window (%s).\n", s.spec.Windows)
	}
	s.record(ctx, planEvent(store.EventStaged, store.LevelInfo, title, body, plan, false))
	return true
}

// apply rehearses when asked, then applies, and records the outcome. It
// reports whether the plan now waits for the next window (the window
// closed during the rehearsal).
func (s *Scheduler) apply(ctx context.Context, plan *scan.Plan, rehearse bool) (waiting bool) {
	if rehearse {
		passed, err := s.a.Rehearse(ctx, plan)
		if err != nil {
			s.record(ctx, problemEvent("rehearse", plan, err))
			return false
		}
		if !passed {
			s.record(ctx, planEvent(store.EventRehearsalFailed, store.LevelWarning, "Rehearsal failed, nothing applied: "+planWords(plan),
				"The rehearsal on a copy failed, so production was not touched. The schedule will not apply this plan on its own; "+
					"read the rehearsal's report and apply by hand once fixed.\n", plan, true))
			return false
		}
		if !s.spec.Windows.Contains(s.now()) {
			s.opt.Logger.Info("the rehearsal passed but the window closed meanwhile; applying in the next window", "plan", plan.Hash)
			return true
		}
	}
	res, err := s.a.Apply(ctx, plan)
	s.recordOutcome(ctx, plan, res, err)
	return false
}

// recordOutcome records what an apply did.
func (s *Scheduler) recordOutcome(ctx context.Context, plan *scan.Plan, res ApplyResult, err error) {
	words := planWords(plan)
	switch {
	case err == nil:
		s.record(ctx, planEvent(store.EventApplied, store.LevelInfo, "Applied "+words, "", plan, true))
	case res.State == store.RunFailedRestored && res.Untouched:
		s.record(ctx, planEvent(store.EventFailedRestored, store.LevelWarning,
			"Apply stopped before touching the ERP, nothing changed: "+words,
			fmt.Sprintf("Error: %v\nRun %d. The ERP was not touched. The schedule will not try this plan again on its own; "+
				"read the run log, fix the cause and apply by hand.\n", err, res.RunID), plan, true))
	case res.State == store.RunFailedRestored:
		s.record(ctx, planEvent(store.EventFailedRestored, store.LevelWarning,
			"Apply failed, instance restored as it was: "+words,
			fmt.Sprintf("Error: %v\nRun %d. The instance is exactly as before. The schedule will not try this plan again on its own; "+
				"read the run log, fix the cause and apply by hand.\n", err, res.RunID), plan, true))
	case res.State == store.RunRestoreFailed:
		s.record(ctx, planEvent(store.EventRestoreFailed, store.LevelError,
			"Apply failed and so did the restore, act now: "+words,
			fmt.Sprintf("Error: %v\nRun %d. The backup is kept; the error says how to restore it by hand. "+
				"No other apply runs until this run is resolved.\n", err, res.RunID), plan, true))
	default:
		s.record(ctx, problemEvent("apply", plan, err))
	}
}
