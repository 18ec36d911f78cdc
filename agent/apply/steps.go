package apply

import (
	"fmt"
	"slices"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/catalog"
)

// Step kinds: the first word of every step's name.
const (
	kindPreflight = "preflight"
	kindDownload  = "download"
	kindStop      = "stop"
	kindBackup    = "backup"
	kindPre       = "pre"
	kindInstall   = "install"
	kindUpdate    = "update"
	kindPost      = "post"
	kindStart     = "start"
	kindHealth    = "health"
	kindRecord    = "record"
	kindRestore   = "restore"
)

// step is one step of a plan's procedure; the list is a pure function of
// the plan, so a restarted agent rebuilds it from the journaled plan.
type step struct {
	kind   string
	name   string
	stage  int
	change int // index into Plan.Changes (pre, install, post), else -1
	script catalog.Script
}

// Steps returns the names of plan's steps, in order.
func Steps(plan *scan.Plan) []string {
	var out []string
	for _, s := range buildSteps(plan) {
		out = append(out, s.name)
	}
	return out
}

// buildSteps lists the procedure: preflight, download, stop, backup; then
// for every stage the pre scripts, the file swaps, the ERP's update and the
// post scripts, module by module in plan (dependency) order; then start,
// health and record.
func buildSteps(plan *scan.Plan) []step {
	one := func(kind, name string) step { return step{kind: kind, name: name, change: -1} }
	steps := []step{
		one(kindPreflight, "preflight: lock, plan, disk room, ERP health"),
		one(kindDownload, "download and verify "+archives(len(plan.Changes))),
		one(kindStop, "stop the ERP server"),
		one(kindBackup, "backup the database"),
	}
	for _, stage := range stages(plan) {
		steps = append(steps, stageSteps(plan, stage)...)
	}
	return append(steps, one(kindStart, "start the ERP server"), one(kindHealth, "health checks"),
		one(kindRecord, "record the new versions, the history and the settings drift"))
}

func archives(n int) string {
	if n == 1 {
		return "1 archive"
	}
	return fmt.Sprintf("%d archives", n)
}

// rehearsalSteps renames the plan's steps for a rehearsal on where ("the
// copy", "the test instance"), so that no step reads as if production were
// touched; each keeps its kind (its first word), which the journal and the
// estimates go by.
func rehearsalSteps(steps []step, where string) []step {
	out := slices.Clone(steps)
	for i, s := range out {
		switch s.kind {
		case kindStop:
			s.name = "stop " + where + "'s server (production keeps running)"
		case kindBackup:
			s.name = "backup of " + where + "'s database"
		case kindStart:
			s.name = "start " + where + "'s server"
		case kindHealth:
			s.name = "health checks on " + where
		case kindRecord:
			s.name = "record the settings drift on " + where
		}
		out[i] = s
	}
	return out
}

// stageSteps are one stage's scripts, swaps and update.
func stageSteps(plan *scan.Plan, stage int) []step {
	var pre, install, post []step
	for i, c := range plan.Changes {
		if c.Stage != stage {
			continue
		}
		for _, s := range c.Pre {
			pre = append(pre, step{kind: kindPre, name: fmt.Sprintf("pre %s %s: %s", c.Module, s.To, s.Path), stage: stage, change: i, script: s})
		}
		install = append(install, step{kind: kindInstall, name: fmt.Sprintf("install %s %s", c.Module, c.To), stage: stage, change: i})
		for _, s := range c.Post {
			post = append(post, step{kind: kindPost, name: fmt.Sprintf("post %s %s: %s", c.Module, s.To, s.Path), stage: stage, change: i, script: s})
		}
	}
	upd := step{kind: kindUpdate, name: "update " + describeUpdate(updateRequestNames(plan, stage)), stage: stage, change: -1}
	out := slices.Concat(pre, install, []step{upd}, post)
	return out
}

// stages returns the plan's stage numbers in order; a plan that only
// disables modules has one stage.
func stages(plan *scan.Plan) []int {
	var out []int
	for _, c := range plan.Changes {
		if !slices.Contains(out, c.Stage) {
			out = append(out, c.Stage)
		}
	}
	slices.Sort(out)
	if len(out) == 0 && !plan.Empty() {
		out = []int{1}
	}
	return out
}

// updateNames are the modules one stage's update touches.
// With all, the update updates every installed module instead of update.
type updateNames struct {
	update, install, disable, enable []string
	all                              bool
}

func updateRequestNames(plan *scan.Plan, stage int) updateNames {
	var u updateNames
	for _, c := range plan.Changes {
		switch {
		case c.Stage != stage:
		case c.From.IsZero():
			u.install = append(u.install, c.Module)
		default:
			u.update = append(u.update, c.Module)
		}
	}
	if stages(plan)[0] == stage {
		for _, d := range plan.Disable {
			u.disable = append(u.disable, d.Module)
		}
		for _, d := range plan.Enable {
			u.enable = append(u.enable, d.Module)
		}
	}
	if st := stages(plan); plan.UpdateAll && st[len(st)-1] == stage {
		u.all, u.update = true, nil
	}
	return u
}

func describeUpdate(u updateNames) string {
	var parts []string
	if u.all {
		parts = append(parts, "every installed module")
	}
	if len(u.update) > 0 {
		parts = append(parts, strings.Join(u.update, ", "))
	}
	if len(u.install) > 0 {
		parts = append(parts, "install "+strings.Join(u.install, ", "))
	}
	if len(u.disable) > 0 {
		parts = append(parts, "disable "+strings.Join(u.disable, ", "))
	}
	if len(u.enable) > 0 {
		parts = append(parts, "enable "+strings.Join(u.enable, ", "))
	}
	return strings.Join(parts, "; ")
}

// kindOf returns a step name's kind (its first word).
func kindOf(name string) string {
	k, _, _ := strings.Cut(name, " ")
	return strings.TrimSuffix(k, ":")
}
