// Package presentertest is a hand-written fake of the agent the tray talks to, loaded with a real agent's answers for the demo story.
package presentertest

import (
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
)

// testdata holds answers recorded from a real agent (`upkeep run`) over the
// demo ERP of the story: GET /v1/report and GET /v1/plan with no options,
// with disable_blockers=true and with include_upgrades=arp (demo-*); and
// after core 2.50.22 was applied (after-core-*): the report, the plan with
// no options, with include_upgrades=arp&modules=arp (arp 2.0.0 cannot be
// applied: the plan holds arp 1.4.0 and a warning) and with
// disable_blockers=true added.
//
//go:embed testdata/*.json
var testdata embed.FS

// Load decodes one recorded answer into a value of type T.
func Load[T any](name string) T {
	var v T
	data, err := testdata.ReadFile("testdata/" + name)
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(data, &v); err != nil {
		panic(fmt.Sprintf("%s: %v", name, err))
	}
	return v
}

// DemoReport is the demo story's saved scan: core 2.50.20 with a patch,
// two updates, arp's upgrade on request and core 3.0.0 blocked.
func DemoReport() *api.SavedReport { return Load[*api.SavedReport]("demo-report.json") }

// DemoSettings is a configuration file like the screenshots' agent uses.
const DemoSettings = `[erp]
kind = "demo"
[repository]
url = "http://127.0.0.1:8480"
trusted_root = "root.json"
[api]
admin_group = "upkeep-admin"
[schedule]
every = "6h"
windows = ["Sat 02:00-04:00"]
[schedule.policy]
patches = "apply"
require_rehearsal = true
`

// Agent is a fake presenter.Agent. Set the fields to the answers wanted;
// an entry in Errs (by method name, e.g. "Apply") makes that method fail.
// Calls records every call as "Method arg…". Safe for concurrent use.
type Agent struct {
	mu        sync.Mutex
	Stat      api.Status
	Saved     *api.SavedReport
	Plans     map[string]*api.Plan // by PlanKey
	RunList   []api.Run
	RunEvents map[string][]api.RunEvent
	EventList []api.Event
	Mods      []api.InstalledModule
	HoldList  []api.Hold
	Over      api.Overrides
	Conf      api.Settings
	Errs      map[string]error
	Calls     []string
	// Started is the run Apply and Rehearse start.
	Started api.Run
	woken   chan struct{} // closed by Emit and Break: WatchEvents looks again
	broken  error         // set by Break: WatchEvents returns it
}

var _ presenter.Agent = (*Agent)(nil)

// NewDemo is an Agent answering like the real one over the demo story,
// for a caller who may act, with no runs and no history yet.
func NewDemo() *Agent {
	return &Agent{
		Stat:  api.Status{Version: "test", ERP: "demo", Caller: api.Caller{User: "admin", CanAct: true}, LastScan: &DemoReport().ScanInfo},
		Saved: DemoReport(),
		Plans: map[string]*api.Plan{
			PlanKey(api.PlanRequest{}):                                 Load[*api.Plan]("demo-plan.json"),
			PlanKey(api.PlanRequest{DisableBlockers: true}):            Load[*api.Plan]("demo-plan-disable.json"),
			PlanKey(api.PlanRequest{IncludeUpgrades: []string{"arp"}}): Load[*api.Plan]("demo-plan-arp.json"),
		},
		Mods: []api.InstalledModule{
			{Module: "arp", Version: "1.3.0", DBVersion: "1.3.0"}, {Module: "core", Version: "2.50.20", DBVersion: "2.50.20", Core: true},
			{Module: "localization-es", Version: "1.2.0", DBVersion: "1.2.0"}, {Module: "reports", Version: "0.9.0", DBVersion: "0.9.0"},
		},
		Over:      api.Overrides{DefaultUpgrade: map[string]string{}},
		Conf:      api.Settings{Path: "/etc/upkeep/upkeep.toml", Revision: "r1", TOML: DemoSettings},
		RunEvents: map[string][]api.RunEvent{},
		Errs: map[string]error{
			"Runs": &api.NotAvailableError{Message: "the run history is not available in this agent yet"},
		},
		Started: api.Run{ID: "7", Kind: "apply", State: "running", Started: time.Now()},
	}
}

// NewAfterCore is NewDemo after core 2.50.22 was applied: arp 1.4.0 is
// the one update; arp 2.0.0 and core 3.0.0 need localization-es and
// reports disabled.
func NewAfterCore() *Agent {
	a := NewDemo()
	saved := Load[*api.SavedReport]("after-core-report.json")
	arp := api.PlanRequest{IncludeUpgrades: []string{"arp"}, Modules: []string{"arp"}}
	disable := arp
	disable.DisableBlockers = true
	a.Saved, a.Stat.LastScan = saved, &saved.ScanInfo
	a.Plans = map[string]*api.Plan{
		PlanKey(api.PlanRequest{}): Load[*api.Plan]("after-core-plan.json"),
		PlanKey(arp):               Load[*api.Plan]("after-core-plan-arp.json"),
		PlanKey(disable):           Load[*api.Plan]("after-core-plan-arp-disable.json"),
	}
	a.Mods[1].Version, a.Mods[1].DBVersion = "2.50.22", "2.50.22"
	return a
}

// PlanKey is the Plans key of a plan request.
func PlanKey(r api.PlanRequest) string {
	key := fmt.Sprintf("install=%v upgrades=%v disable=%v", r.Install, r.IncludeUpgrades, r.DisableBlockers)
	if r.PatchesOnly {
		key += " patches_only"
	}
	if len(r.Modules) > 0 {
		key += fmt.Sprintf(" modules=%v", r.Modules)
	}
	return key
}

// Unavailable makes the named methods answer NotAvailableError, as the
// agent does for routes it does not serve yet.
func (a *Agent) Unavailable(methods ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, m := range methods {
		a.Errs[m] = &api.NotAvailableError{Message: m + " is not available in this agent yet"}
	}
}

// Fail makes method fail with err (nil: succeed again).
func (a *Agent) Fail(method string, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err == nil {
		delete(a.Errs, method)
		return
	}
	a.Errs[method] = err
}

// Called returns the calls made so far.
func (a *Agent) Called() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.Calls)
}

// Set changes the fake's answers under its lock.
func (a *Agent) Set(fn func(a *Agent)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fn(a)
}

// call records a call and returns the error set for method.
func (a *Agent) call(method string, args ...any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := method
	for _, x := range args {
		c += fmt.Sprintf(" %v", x)
	}
	a.Calls = append(a.Calls, c)
	return a.Errs[method]
}
