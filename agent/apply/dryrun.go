package apply

import (
	"context"
	"io"
	"time"

	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// DryRunReport is what Apply would do with a plan, changing nothing.
type DryRunReport struct {
	PlanHash string        `json:"plan_hash"`
	Steps    []PlannedStep `json:"steps"`
	// Downtime is the estimated time the ERP does not answer: from the
	// stop to the health checks passing.
	Downtime time.Duration `json:"downtime_ns"`
	// Problems are the reasons preflight would refuse the plan now.
	Problems []string `json:"problems"`
	// Measured says the estimates come from earlier runs on this instance
	// (otherwise they are defaults).
	Measured bool `json:"measured"`
}

// PlannedStep is one step of a dry run.
type PlannedStep struct {
	N        int           `json:"n"`
	Name     string        `json:"name"`
	Estimate time.Duration `json:"estimate_ns"`
	Downtime bool          `json:"downtime"` // the server is down during it
}

// defaultEstimates are per-step guesses used until a run on this instance
// has measured the kind.
var defaultEstimates = map[string]time.Duration{
	kindPreflight: 2 * time.Second, kindDownload: 2 * time.Second, kindStop: 3 * time.Second,
	kindBackup: 2 * time.Second, kindPre: 2 * time.Second, kindInstall: 100 * time.Millisecond,
	kindUpdate: 10 * time.Second, kindPost: 2 * time.Second, kindStart: 3 * time.Second,
	kindHealth: 5 * time.Second, kindRecord: time.Second,
}

// historyDepth is how many earlier successful runs the estimates average.
const historyDepth = 5

// DryRun lists the steps Apply would run for plan, with estimated
// durations and downtime, and the preflight checks that would fail now.
// It takes no lock and changes nothing.
func (r *Runner) DryRun(ctx context.Context, plan *scan.Plan) (*DryRunReport, error) {
	est, measured, err := r.estimates(ctx)
	if err != nil {
		return nil, err
	}
	d := &DryRunReport{PlanHash: plan.Hash, Measured: measured, Problems: []string{}}
	down := false
	for i, s := range buildSteps(plan) {
		down = down || s.kind == kindStop
		ps := PlannedStep{N: i + 1, Name: s.name, Estimate: est[s.kind], Downtime: down}
		if down {
			d.Downtime += ps.Estimate
		}
		down = down && s.kind != kindHealth
		d.Steps = append(d.Steps, ps)
	}
	d.Problems = r.problems(ctx, plan)
	return d, nil
}

// estimates averages each step kind's duration over the last successful runs.
func (r *Runner) estimates(ctx context.Context) (map[string]time.Duration, bool, error) {
	out := map[string]time.Duration{}
	for k, v := range defaultEstimates {
		out[k] = v
	}
	runs, err := r.Store.Runs(ctx, 50)
	if err != nil {
		return nil, false, err
	}
	sum, n := map[string]time.Duration{}, map[string]int{}
	seen := 0
	for _, run := range runs {
		if run.State != store.RunSucceeded || run.Kind != store.KindApply || seen == historyDepth {
			continue
		}
		seen++
		full, err := r.Store.Run(ctx, run.ID)
		if err != nil {
			return nil, false, err
		}
		for _, s := range full.Steps {
			sum[kindOf(s.Name)] += s.Duration()
			n[kindOf(s.Name)]++
		}
	}
	for k, total := range sum {
		if _, known := out[k]; known {
			out[k] = total / time.Duration(n[k])
		}
	}
	return out, seen > 0, nil
}

// problems runs the read-only preflight checks.
func (r *Runner) problems(ctx context.Context, plan *scan.Plan) []string {
	out := []string{}
	if fresh, err := r.rescan(ctx); err != nil {
		out = append(out, err.Error())
	} else if fresh.Hash != plan.Hash {
		out = append(out, ErrPlanChanged.Error()+": scan and plan again")
	}
	rn, err := r.newRun(0, plan)
	if err != nil {
		return append(out, err.Error())
	}
	for _, check := range []func(context.Context, io.Writer) error{r.checkRunnable(plan), rn.checkRoom, rn.checkHealth} {
		if err := check(ctx, io.Discard); err != nil {
			out = append(out, err.Error())
		}
	}
	return out
}
