package presenter

import (
	"fmt"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// Prompt is the enforced-update prompt: what "Disable blockers and apply…"
// will do, for the admin to confirm.
type Prompt struct {
	Title   string
	Disable []string // "reports 0.9.0: needs core 2.50.*, but core must leave that range"
	Meaning string   // what disabling means for this ERP: data kept or not, menus hidden
	Changes []string // the plan's changes (PlanLines without the disables)
	// Downtime is the estimate in words, or why there is none.
	Downtime string
	// Confirm is the confirmation button's label.
	Confirm string
	// Acknowledge, when not empty, must be ticked before Confirm is
	// enabled: it names the modules to disable.
	Acknowledge string
	Modules     []string // the modules to disable
}

// EnforcePrompt builds the prompt for a plan made with disable_blockers,
// on an ERP of kind erpKind (Status.ERP), with an estimate from Downtime.
func EnforcePrompt(p *api.Plan, erpKind string, est Estimate) Prompt {
	pr := Prompt{Title: "Disable blockers and apply", Meaning: DisableMeaning(erpKind), Downtime: est.Text()}
	for _, d := range p.Disable {
		pr.Modules = append(pr.Modules, d.Module)
		pr.Disable = append(pr.Disable, fmt.Sprintf("%s %s: %s", d.Module, d.Version, d.Reason))
	}
	for _, line := range PlanLines(p) {
		if !strings.HasPrefix(line, "disable ") {
			pr.Changes = append(pr.Changes, line)
		}
	}
	if len(pr.Modules) == 0 {
		pr.Confirm = "Apply (nothing to disable)"
		return pr
	}
	pr.Confirm = "Disable and apply"
	pr.Acknowledge = "Yes, disable " + JoinAnd(pr.Modules) + " on this ERP"
	return pr
}

// PlanPrompt is the confirmation of a plan that disables nothing; a plan
// that disables modules gets EnforcePrompt instead.
func PlanPrompt(p *api.Plan, erpKind string, est Estimate) Prompt {
	if len(p.Disable) > 0 {
		return EnforcePrompt(p, erpKind, est)
	}
	n := len(p.Changes)
	pr := Prompt{Title: "Apply " + plural(n, "change", "changes"), Changes: PlanLines(p), Downtime: est.Text(), Confirm: "Apply"}
	if n == 0 {
		pr.Title, pr.Confirm = "Nothing to apply", ""
	}
	return pr
}

// DisableMeaning says what disabling a module does on an ERP of this kind.
func DisableMeaning(erpKind string) string {
	switch erpKind {
	case "demo":
		return "The demo ERP marks each module disabled: its tables and rows are kept, its code is no longer loaded, so its menus and reports are hidden until it is enabled again."
	case "tryton":
		return "Tryton deactivates each module: its tables, columns and rows are kept; the records of its XML files (menus, views, actions, access rules) are deleted, so its menus disappear until it is activated again."
	case "command":
		return "The ERP's own update command disables each module (the {disable} placeholder of erp.command.update). Whether its data is kept depends on that ERP: check what the command does before confirming."
	}
	return "The ERP disables each module; what happens to its data depends on the ERP: check before confirming."
}

// JoinAnd joins names as "a", "a and b", "a, b and c".
func JoinAnd(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// Estimate is a downtime estimate: how long the ERP stayed down (from the
// stop to the health checks passing) in an earlier run of this instance.
type Estimate struct {
	Downtime time.Duration
	RunID    string // the run it was measured on; "" when none was
	Kind     string // that run's kind
}

// Text says the estimate, or that there is none yet and how to get one.
func (e Estimate) Text() string {
	if e.RunID == "" {
		return "Downtime: not measured yet on this instance — rehearse the plan first to time every step."
	}
	what := "apply"
	if e.Kind == "rehearse" {
		what = "rehearsal"
	}
	return fmt.Sprintf("Downtime: about %s (the ERP was down that long during the last %s, run %s).",
		Round(e.Downtime), what, e.RunID)
}

// MeasureDowntime finds the downtime in a run's events: from the start of
// the step that stops the ERP to the end of the health checks. ok is false
// when the run did not get that far.
func MeasureDowntime(evs []api.RunEvent) (d time.Duration, ok bool) {
	var from time.Time
	for _, ev := range evs {
		switch {
		case from.IsZero() && ev.Status == "started" && strings.HasPrefix(ev.Step, "stop"):
			from = ev.At
		case !from.IsZero() && ev.Status == "done" && strings.HasPrefix(ev.Step, "health"):
			return ev.At.Sub(from), true
		}
	}
	return 0, false
}

// Round rounds a duration for people: 35ms, 1.2s, 42s, 3m10s.
func Round(d time.Duration) time.Duration {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond)
	case d < 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d < 10*time.Minute:
		return d.Round(time.Second)
	}
	return d.Round(time.Minute)
}
