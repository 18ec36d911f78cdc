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
	// Downtime is the agent's estimate in words, or why there is none.
	Downtime string
	// Confirm is the confirmation button's label.
	Confirm string
	// Acknowledge, when not empty, must be ticked before Confirm is
	// enabled: it names the modules to disable.
	Acknowledge string
	Modules     []string // the modules to disable
}

// EnforcePrompt builds the prompt for a plan made with disable_blockers,
// on an ERP of kind erpKind (Status.ERP), with the agent's estimate of the
// plan's downtime.
func EnforcePrompt(p *api.Plan, erpKind string) Prompt {
	pr := Prompt{Title: "Disable blockers and apply", Meaning: DisableMeaning(erpKind), Downtime: DowntimeText(p.Estimate)}
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
func PlanPrompt(p *api.Plan, erpKind string) Prompt {
	if len(p.Disable) > 0 {
		return EnforcePrompt(p, erpKind)
	}
	n := len(p.Changes)
	pr := Prompt{Title: "Apply " + plural(n, "change", "changes"), Changes: PlanLines(p), Downtime: DowntimeText(p.Estimate), Confirm: "Apply"}
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

// DowntimeText says the agent's estimate of a plan's downtime (from its
// history of runs on this instance), or why there is none.
func DowntimeText(e api.Estimate) string {
	if e.Basis == "" || e.Basis == "none" {
		why := "rehearse the plan first to time every step"
		if e.Note != "" {
			why = e.Note
		}
		return "Downtime: not measured yet on this instance — " + why + "."
	}
	return fmt.Sprintf("Downtime: about %s, %s for the whole run (%s).", Round(seconds(e.Downtime)), Round(seconds(e.Total)), e.Note)
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

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
