package presenter

import (
	"fmt"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// Prompt is the confirmation of a plan (the enforced-update prompt when it
// disables modules): what applying it will do, for the admin to confirm.
type Prompt struct {
	Title   string
	Disable []string // "reports 0.9.0: needs core 2.50.*, but core must leave that range"
	Meaning string   // what disabling means for this ERP: data kept or not, menus hidden
	Steps   []Step   // the plan's changes, step by step
	// Outage says plainly what applying does to the ERP: stopped, backed
	// up, updated, started; restored on any failure.
	Outage string
	// Downtime is the agent's estimate in words, or why there is none.
	Downtime string
	// Confirm is the confirmation button's label.
	Confirm string
	// Acknowledge, when not empty, must be ticked before Confirm is
	// enabled: it names the modules to disable.
	Acknowledge string
	Modules     []string // the modules to disable
	// NeedsRehearsal, when not empty, is why Apply is not offered yet:
	// the agent applies only plans that passed a rehearsal.
	NeedsRehearsal string
	Warnings       []string // the plan's warnings, in the window's words
}

// Context is what a prompt needs to know of the agent besides the plan.
type Context struct {
	ERP              string // Status.ERP: demo, tryton, command…
	RequireRehearsal bool   // the agent applies only plans that passed a rehearsal
}

// ContextOf reads the prompt's context from the agent's status (nil: none).
func ContextOf(st *api.Status) Context {
	if st == nil {
		return Context{}
	}
	c := Context{ERP: st.ERP}
	if st.Schedule != nil {
		c.RequireRehearsal = st.Schedule.RequireRehearsal
	}
	return c
}

// EnforcePrompt builds the prompt for a plan made with disable_blockers.
func EnforcePrompt(p *api.Plan, ctx Context) Prompt {
	pr := basePrompt(p, ctx)
	pr.Title, pr.Meaning = "Disable blockers and apply", DisableMeaning(ctx.ERP)
	for _, d := range p.Disable {
		pr.Modules = append(pr.Modules, d.Module)
		pr.Disable = append(pr.Disable, fmt.Sprintf("%s %s: %s", d.Module, d.Version, d.Reason))
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
func PlanPrompt(p *api.Plan, ctx Context) Prompt {
	if len(p.Disable) > 0 {
		return EnforcePrompt(p, ctx)
	}
	n := len(p.Changes)
	pr := basePrompt(p, ctx)
	pr.Title, pr.Confirm = "Apply "+plural(n, "change", "changes"), "Apply"
	if n == 0 {
		pr.Title, pr.Confirm, pr.Outage, pr.NeedsRehearsal = "Nothing to apply", "", "", ""
	}
	return pr
}

func basePrompt(p *api.Plan, ctx Context) Prompt {
	pr := Prompt{Steps: PlanSteps(p), Downtime: DowntimeText(p.Estimate), Warnings: wordsAll(p.Warnings), Outage: Outage(p)}
	if ctx.RequireRehearsal && p.Estimate.Basis != "rehearsal" {
		pr.NeedsRehearsal = "This agent applies only plans that passed a rehearsal (schedule.policy.require_rehearsal), and this one has not: rehearse it first; it runs on a throwaway copy, production keeps running."
	}
	return pr
}

// Outage says plainly what applying a plan does to the ERP.
func Outage(p *api.Plan) string {
	s := "Applying stops the ERP: nobody can work in it until it is back. Upkeep backs up its database and the module folders it replaces, "
	if len(p.Disable) > 0 {
		s += "disables the modules named above, "
	}
	return s + "runs the updates and the migration scripts, starts the ERP and checks its health. If any step fails, it restores the backup and starts the ERP as it was."
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
