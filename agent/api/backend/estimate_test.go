package backend

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/store"
)

// timedRun is a journaled run whose steps took these seconds, one after
// the other ("name=seconds"; a "!" after the seconds marks a failed step).
func timedRun(id int64, kind, state, hash string, steps ...string) store.Run {
	at := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	r := store.Run{ID: id, Kind: kind, State: state, PlanHash: hash, StartedAt: at.Format(time.RFC3339Nano)}
	for i, s := range steps {
		name, took, _ := strings.Cut(s, "=")
		stepState := store.StepDone
		if strings.HasSuffix(took, "!") {
			took, stepState = strings.TrimSuffix(took, "!"), store.StepFailed
		}
		d, err := time.ParseDuration(took + "s")
		if err != nil {
			panic(err)
		}
		st := store.RunStep{N: i + 1, Name: name, State: stepState, StartedAt: at.Format(time.RFC3339Nano)}
		at = at.Add(d)
		st.EndedAt = at.Format(time.RFC3339Nano)
		r.Steps = append(r.Steps, st)
	}
	r.EndedAt = at.Format(time.RFC3339Nano)
	return r
}

// planSteps are a plan's steps as apply.Steps names them: one stage, two
// modules, one pre script.
var planSteps = []string{"preflight: lock, plan, disk room, ERP health", "download and verify 2 archives", "stop the ERP server",
	"backup the database", "pre arp 1.4.0: m/pre.sql", "install arp 1.4.0", "install core 2.50.22", "update arp, core",
	"start the ERP server", "health checks", "record the new versions, the history and the settings drift"}

// applied is a successful apply of one module without scripts whose steps
// took these seconds: preflight, download, stop, backup, install, update,
// start, health, record.
func applied(id int64, secs ...string) store.Run {
	names := []string{"preflight: lock", "download and verify 1 archives", "stop the ERP server", "backup the database",
		"install arp 1.4.0", "update arp", "start the ERP server", "health checks", "record the new versions"}
	steps := make([]string, len(names))
	for i := range names {
		steps[i] = names[i] + "=" + secs[i]
	}
	return timedRun(id, store.KindApply, store.RunSucceeded, "other", steps...)
}

func TestEstimateFrom(t *testing.T) {
	rehearsal := timedRun(9, store.KindRehearse, store.RunSucceeded, "h",
		"rehearse: copy the ERP=30", "rehearse: start the copy's server=4", "preflight: lock=1", "download and verify 2 archives=1",
		"stop the ERP server=2", "backup the database=3", "pre arp 1.4.0: m/pre.sql=1", "install arp 1.4.0=0.5", "install core 2.50.22=0.5",
		"update arp, core=5", "start the ERP server=2", "health checks=1", "record the new versions=1",
		"rehearse: stop the copy's server and remove the copy=6")
	a1 := applied(5, "1", "2", "1", "3", "1", "10", "2", "1", "1")
	a2 := applied(4, "1", "2", "3", "5", "3", "20", "2", "3", "1")
	a3 := applied(3, "1", "2", "2", "4", "2", "30", "2", "2", "1")
	cases := []struct {
		name            string
		steps           []string
		runs            []store.Run
		basis           string
		downtime, total float64
		ids             []string
		note            string
	}{
		{name: "a plan that changes nothing", steps: nil, runs: []store.Run{a1}, basis: basisNone, note: "changes nothing"},
		{name: "no history", steps: planSteps, basis: basisNone, note: "no history yet"},
		{name: "only failures", steps: planSteps, basis: basisNone, note: "no history yet", runs: []store.Run{
			timedRun(2, store.KindApply, store.RunFailedRestored, "h", "preflight: lock=1", "stop the ERP server=9!"),
			timedRun(1, store.KindRehearse, store.RunFailedRestored, "h", "rehearse: copy the ERP=3!")}},
		{name: "a passed rehearsal of the plan, without its copy's steps", steps: planSteps, runs: []store.Run{a1, rehearsal, a2},
			basis: basisRehearsal, downtime: 2 + 3 + 1 + 0.5 + 0.5 + 5 + 2 + 1, total: 1 + 1 + 15 + 1, ids: []string{"9"}, note: "rehearsal 9"},
		{name: "a passed rehearsal of another plan is not used", steps: planSteps,
			runs:  []store.Run{timedRun(9, store.KindRehearse, store.RunSucceeded, "other", "stop the ERP server=99"), a1},
			basis: basisApplies, downtime: 1 + 3 + 0 + 1 + 1 + 10 + 2 + 1, total: 1 + 2 + 19 + 1, ids: []string{"5"}, note: "pre never ran here"},
		{name: "medians of each kind, an install per module", steps: planSteps, runs: []store.Run{a1, a2, a3},
			basis: basisApplies, downtime: 2 + 4 + 0 + 2 + 2 + 20 + 2 + 2, total: 1 + 2 + 34 + 1, ids: []string{"5", "4", "3"}},
		{name: "the median of two is their mean", steps: planSteps, runs: []store.Run{a1, a2},
			basis: basisApplies, downtime: 2 + 4 + 0 + 2 + 2 + 15 + 2 + 2, total: 1 + 2 + 29 + 1, ids: []string{"5", "4"}},
		{name: "the newest five applies", steps: planSteps,
			runs:  []store.Run{a1, a1, a1, a1, a1, applied(1, "99", "99", "99", "99", "99", "99", "99", "99", "99")},
			basis: basisApplies, downtime: 19, total: 23, ids: []string{"5", "5", "5", "5", "5"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := estimateFrom(tc.steps, "h", tc.runs)
			if e.Basis != tc.basis || e.Downtime != tc.downtime || e.Total != tc.total || !slices.Equal(e.RunIDs, tc.ids) {
				t.Errorf("estimate = %+v, want basis %s, downtime %gs, total %gs, runs %v", e, tc.basis, tc.downtime, tc.total, tc.ids)
			}
			if !strings.Contains(strings.ReplaceAll(e.Note, "kind ", ""), tc.note) {
				t.Errorf("note %q lacks %q", e.Note, tc.note)
			}
		})
	}
}

func TestEstimateSources(t *testing.T) {
	runs := []store.Run{
		{ID: 9, Kind: store.KindApply, State: store.RunFailedRestored},
		{ID: 8, Kind: store.KindRehearse, State: store.RunSucceeded, PlanHash: "other"},
		{ID: 7, Kind: store.KindRehearse, State: store.RunSucceeded, PlanHash: "h"},
		{ID: 6, Kind: store.KindRehearse, State: store.RunSucceeded, PlanHash: "h"},
	}
	for id := int64(5); id >= 0; id-- {
		runs = append(runs, store.Run{ID: id, Kind: store.KindApply, State: store.RunSucceeded})
	}
	var got []int64
	for _, r := range estimateSources(runs, "h") {
		got = append(got, r.ID)
	}
	if want := []int64{7, 5, 4, 3, 2, 1}; !slices.Equal(got, want) {
		t.Errorf("sources = %v, want %v (the newest passed rehearsal of the plan, the newest %d applies)", got, want, estimateApplies)
	}
}

func TestNotifies(t *testing.T) {
	cases := []struct {
		kind   string
		notify bool // the flag the agent's producers set (webhook, e-mail)
		want   bool
	}{
		{store.EventNothingNew, false, false},
		{store.EventPatches, true, false},
		{store.EventUpdates, true, false},
		{store.EventUpgrades, true, true},
		{store.EventBlocked, true, true},
		{store.EventStaged, false, false},
		{store.EventApplied, true, true},
		{store.EventFailedRestored, true, true},
		{store.EventRestoreFailed, true, true},
		{store.EventRehearsalFailed, true, true},
		{eventRehearsalPassed, false, true},
		{eventCancelled, false, false},
		{store.EventProblem, true, true},
		{store.EventUnreachable, true, true},
		{store.EventReachable, true, false},
	}
	for _, tc := range cases {
		if got := toEvent(store.Event{Kind: tc.kind, Notify: tc.notify}).Notify; got != tc.want {
			t.Errorf("%s (notify %v): desktop notification %v, want %v", tc.kind, tc.notify, got, tc.want)
		}
	}
}
