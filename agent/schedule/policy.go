package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/catalog"
)

// Action is what the schedule does with a kind of change on its own.
type Action int

// Actions, from the most cautious.
const (
	Notify Action = iota // tell the admin
	Stage                // and download and stage the plan
	Apply                // and apply it inside a maintenance window (patches only)
)

var actionNames = [...]string{"notify", "stage", "apply"}

func (a Action) String() string {
	if a < 0 || int(a) >= len(actionNames) {
		return fmt.Sprintf("Action(%d)", int(a))
	}
	return actionNames[a]
}

// ParseAction reads notify, stage or apply.
func ParseAction(s string) (Action, error) {
	for i, n := range actionNames {
		if s == n {
			return Action(i), nil
		}
	}
	return Notify, fmt.Errorf("%q: say notify, stage (download and stage) or apply (inside a maintenance window)", s)
}

// Policy is what the schedule does with each kind of change.
type Policy struct {
	Patches  Action
	Updates  Action
	Upgrades Action
	// Security is for the patches and updates that fix a security advisory:
	// Notify (the default) sends them at once, marked urgent; Apply also
	// applies them inside a maintenance window, like patches.
	Security Action
	// RequireRehearsal: a silent apply needs a passed rehearsal of the same
	// plan hash; without one it rehearses first and applies only if it passed.
	RequireRehearsal bool
}

// ErrOnlyPatches says a policy asked to apply updates or upgrades silently.
var ErrOnlyPatches = errors.New("only patches may be applied silently: updates and upgrades can change the database schema and wait for a person")

// Validate refuses a policy that would apply updates or upgrades silently.
func (p Policy) Validate() error {
	for _, k := range []struct {
		name string
		a    Action
	}{{"patches", p.Patches}, {"updates", p.Updates}, {"upgrades", p.Upgrades}} {
		switch {
		case k.a < Notify || k.a > Apply:
			return fmt.Errorf("%s = %s: use notify, stage or apply", k.name, k.a)
		case k.a == Apply && k.name != "patches":
			return fmt.Errorf("%s = \"apply\": %w; use \"stage\" or \"notify\"", k.name, ErrOnlyPatches)
		}
	}
	if p.Security < Notify || p.Security > Apply {
		return fmt.Errorf("security = %s: use notify or apply", p.Security)
	}
	return nil
}

// ForChange returns the action for one planned change: a patch or an update
// that fixes a security advisory gets at least the security action.
func (p Policy) ForChange(c scan.PlannedChange) Action {
	a := p.For(c.Kind)
	if len(c.Fixes) > 0 && (c.Kind == catalog.KindPatch || c.Kind == catalog.KindUpdate) {
		a = max(a, p.Security)
	}
	return a
}

// For returns the action for one change kind. Only a patch can get Apply,
// whatever the policy says; new modules and anything else only Notify.
func (p Policy) For(k catalog.ChangeKind) Action {
	switch k {
	case catalog.KindPatch:
		return p.Patches
	case catalog.KindUpdate:
		return min(p.Updates, Stage)
	case catalog.KindUpgrade:
		return min(p.Upgrades, Stage)
	}
	return Notify
}

// Spec is the schedule's configuration: when to scan, the maintenance
// windows and the policy.
type Spec struct {
	Every   time.Duration // scan period when Cron is empty
	Cron    string        // a standard 5-field cron expression or @daily-style descriptor
	Jitter  time.Duration // each scan waits a random time in [0, Jitter) after its tick
	Windows Windows
	Policy  Policy
}

// DefaultEvery and DefaultJitter apply when a Spec leaves them zero.
const (
	DefaultEvery  = 6 * time.Hour
	DefaultJitter = 30 * time.Minute
	MinEvery      = time.Minute
)

// ParseCron checks a cron expression (five fields, or a descriptor such as
// @daily; an optional CRON_TZ= prefix names another time zone).
func ParseCron(expr string) (cron.Schedule, error) {
	sched, err := cron.ParseStandard(expr)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %w; write five fields: minute hour day-of-month month day-of-week, such as \"0 3 * * *\"", expr, err)
	}
	return sched, nil
}

// Validate checks the spec; errors name the key (as in the [schedule]
// section of the configuration) and the fix.
func (s Spec) Validate() error {
	switch {
	case s.Cron != "" && s.Every != 0:
		return errors.New("every and cron are both set: give one of them")
	case s.Cron == "" && s.Every < MinEvery:
		return fmt.Errorf("every = %q: scan at most once a minute (every = \"1m\" or more)", s.Every)
	case s.Jitter < 0:
		return errors.New("jitter is negative: give a duration such as \"30m\"")
	}
	period, err := s.Period()
	if err != nil {
		return err
	}
	if s.Jitter >= period {
		return fmt.Errorf("jitter = %q is not shorter than the time between scans (%s): make it shorter so scans do not overlap", s.Jitter, period)
	}
	if err := s.Policy.Validate(); err != nil {
		return fmt.Errorf("policy.%w", err)
	}
	if s.Policy.Patches == Apply && len(s.Windows) == 0 {
		return errors.New("policy.patches = \"apply\" needs a maintenance window: add windows = [\"Sat 02:00-04:00\"] (or choose \"stage\")")
	}
	if s.Policy.Security == Apply && len(s.Windows) == 0 {
		return errors.New("policy.security = \"apply\" needs a maintenance window: add windows = [\"Sat 02:00-04:00\"] (or choose \"notify\")")
	}
	return nil
}

// Period is the time between two scans: Every, or for a cron expression
// the shortest gap between its next few ticks from a fixed date.
func (s Spec) Period() (time.Duration, error) {
	if s.Cron == "" {
		return s.Every, nil
	}
	sched, err := ParseCron(strings.TrimSpace(s.Cron))
	if err != nil {
		return 0, err
	}
	t := sched.Next(time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC))
	gap := time.Duration(1<<63 - 1)
	for range 16 {
		n := sched.Next(t)
		if t.IsZero() || n.IsZero() {
			break
		}
		gap, t = min(gap, n.Sub(t)), n
	}
	if t.IsZero() {
		return 0, fmt.Errorf("cron %q never fires: give an expression with a next time, such as \"0 3 * * *\"", s.Cron)
	}
	return gap, nil
}

// JitterFor is the default jitter for a period: 30 minutes, or a quarter
// of a shorter period.
func JitterFor(period time.Duration) time.Duration { return min(DefaultJitter, period/4) }
