package backend

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// Estimates come from the newest passed rehearsal of the same plan, else
// from the step times of the newest successful applies.
const (
	estimateApplies = 5  // applies whose step times are used
	estimateRuns    = 50 // runs looked through for them
)

// The bases of an estimate (api.Estimate.Basis).
const (
	basisRehearsal = "rehearsal"
	basisApplies   = "applies"
	basisNone      = "none"
)

// estimate reads the history of runs and estimates how long applying plan
// takes here.
func (b *Backend) estimate(ctx context.Context, plan *scan.Plan) (api.Estimate, error) {
	runs, err := b.o.Store.Runs(ctx, estimateRuns)
	if err != nil {
		return api.Estimate{}, err
	}
	var timed []store.Run
	for _, r := range estimateSources(runs, plan.Hash) {
		full, err := b.o.Store.Run(ctx, r.ID)
		if err != nil {
			return api.Estimate{}, err
		}
		timed = append(timed, *full)
	}
	return estimateFrom(apply.Steps(plan), plan.Hash, timed), nil
}

// estimateSources picks, among runs (newest first), those an estimate of
// the plan with hash uses: the newest passed rehearsal of that plan, and
// the newest successful applies.
func estimateSources(runs []store.Run, hash string) []store.Run {
	var out []store.Run
	rehearsal, applies := false, 0
	for _, r := range runs {
		switch {
		case r.State != store.RunSucceeded:
		case r.Kind == store.KindRehearse && r.PlanHash == hash && !rehearsal:
			rehearsal = true
			out = append(out, r)
		case r.Kind == store.KindApply && applies < estimateApplies:
			applies++
			out = append(out, r)
		}
	}
	return out
}

// estimateFrom estimates a plan with these steps (apply.Steps) and hash
// from runs with their journaled steps, newest first: the newest passed
// rehearsal of the same plan as it ran, else each step at the median time
// of its kind over the successful applies (so that more modules, scripts
// or steps take longer), else none.
func estimateFrom(steps []string, hash string, runs []store.Run) api.Estimate {
	if len(steps) == 0 {
		return api.Estimate{Basis: basisNone, Note: "the plan changes nothing"}
	}
	for _, r := range runs {
		if r.Kind == store.KindRehearse && r.State == store.RunSucceeded && r.PlanHash == hash {
			return fromRehearsal(r)
		}
	}
	var applies []store.Run
	for _, r := range runs {
		if r.Kind == store.KindApply && r.State == store.RunSucceeded && len(applies) < estimateApplies {
			applies = append(applies, r)
		}
	}
	if len(applies) == 0 {
		return api.Estimate{Basis: basisNone, Note: "no history yet: rehearse the plan to time every step on a copy"}
	}
	return fromApplies(steps, applies)
}

// fromRehearsal is the plan's own steps as a passed rehearsal timed them
// (not the rehearsal's copy and clean-up).
func fromRehearsal(r store.Run) api.Estimate {
	var names []string
	var took []time.Duration
	for _, s := range r.Steps {
		if stepKind(s.Name) != "rehearse" {
			names = append(names, s.Name)
			took = append(took, s.Duration())
		}
	}
	e := timed(names, func(i int, _ string) (time.Duration, bool) { return took[i], true })
	e.Basis, e.RunIDs = basisRehearsal, []string{idString(r.ID)}
	e.Note = fmt.Sprintf("measured on rehearsal %d of this plan", r.ID)
	return e
}

// fromApplies times each step at its kind's median over the applies.
func fromApplies(steps []string, applies []store.Run) api.Estimate {
	byKind := map[string][]time.Duration{}
	ids := make([]string, len(applies))
	for i, r := range applies {
		ids[i] = idString(r.ID)
		for _, s := range r.Steps {
			if s.State == store.StepDone {
				byKind[stepKind(s.Name)] = append(byKind[stepKind(s.Name)], s.Duration())
			}
		}
	}
	var missing []string
	e := timed(steps, func(_ int, name string) (time.Duration, bool) {
		ds, ok := byKind[stepKind(name)]
		if !ok && !slices.Contains(missing, stepKind(name)) {
			missing = append(missing, stepKind(name))
		}
		return median(ds), ok
	})
	e.Basis, e.RunIDs = basisApplies, ids
	e.Note = fmt.Sprintf("each of the plan's %d steps at the median time of its kind over the last %s on this host",
		len(steps), plural(len(applies), "successful apply", "successful applies"))
	if len(missing) > 0 {
		e.Note += fmt.Sprintf("; steps of kind %s never ran here and are not counted: rehearse the plan for a full estimate", strings.Join(missing, ", "))
	}
	return e
}

// timed sums the steps' times (took returns a step's and whether it is
// known) into the total, and those from the stop of the server to the
// health checks into the downtime.
func timed(steps []string, took func(i int, name string) (time.Duration, bool)) api.Estimate {
	var total, down time.Duration
	stopped := false
	for i, name := range steps {
		d, _ := took(i, name)
		k := stepKind(name)
		stopped = stopped || k == "stop"
		total += d
		if stopped {
			down += d
		}
		stopped = stopped && k != "health"
	}
	return api.Estimate{Downtime: seconds(down), Total: seconds(total)}
}

// stepKind is a step's kind: the first word of its name (apply's step kinds).
func stepKind(name string) string {
	k, _, _ := strings.Cut(name, " ")
	return strings.TrimSuffix(k, ":")
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// seconds rounds d to milliseconds, in seconds.
func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
