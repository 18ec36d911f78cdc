package backend_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// unknown checks that err refuses a module name with suggestions.
func unknown(t *testing.T, what string, err error, parts ...string) {
	t.Helper()
	var br *api.BadRequestError
	if !errors.As(err, &br) || br.Code != api.CodeUnknownModule {
		t.Errorf("%s: %v, want a BadRequestError %s", what, err, api.CodeUnknownModule)
		return
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %q does not say %q", what, err, p)
		}
	}
}

func TestEveryTypedModuleNameIsChecked(t *testing.T) {
	a := newAgent(t)
	_, err := a.b.Scan(ctx, api.ScanRequest{Install: []string{"localisation-es"}}, root)
	unknown(t, "scan --install localisation-es", err, `"localisation-es"`, "did you mean localization-es?")
	_, err = a.b.Scan(ctx, api.ScanRequest{IncludeUpgrades: []string{"arq"}}, root)
	unknown(t, "scan --include-upgrades arq", err, "no installed module is named \"arq\"", "did you mean arp?")
	_, err = a.b.Plan(ctx, api.PlanRequest{IncludeUpgrades: []string{"cor"}})
	unknown(t, "plan --include-upgrades cor", err, "did you mean core?")
	_, err = a.b.Plan(ctx, api.PlanRequest{IncludeUpgrades: []string{"warehouse"}})
	unknown(t, "plan --include-upgrades warehouse (offered, not installed)", err, "no installed module is named \"warehouse\"")
	_, err = a.b.Apply(ctx, api.RunRequest{PlanHash: "x", Plan: api.PlanRequest{Install: []string{"reprots"}}}, root)
	unknown(t, "apply --install reprots", err, "did you mean reports?")
	_, err = a.b.Rehearse(ctx, api.RunRequest{PlanHash: "x", Plan: api.PlanRequest{Install: []string{"reprots", "wharehouse"}}}, root)
	unknown(t, "rehearse --install reprots,wharehouse", err, "did you mean reports?", "did you mean warehouse?")
	_, err = a.b.SetHolds(ctx, api.HoldsChange{Hold: []api.Hold{{Module: "arpp"}}}, root)
	unknown(t, "hold arpp", err, "did you mean arp?")
	_, err = a.b.SetOverrides(ctx, api.OverridesChange{DefaultUpgrade: map[string]string{"arpp": "true"}}, root)
	unknown(t, "override default-upgrade arpp", err, "did you mean arp?")
	_, err = a.b.SetOverrides(ctx, api.OverridesChange{Relax: []api.Relaxation{{Module: "warehouse", Dependency: "core", Enforcement: "major"}}}, root)
	unknown(t, "relax warehouse (not installed)", err, `no installed module is named "warehouse"`)
	_, err = a.b.SetOverrides(ctx, api.OverridesChange{Relax: []api.Relaxation{{Module: "arp", Dependency: "kore", Enforcement: "major"}}}, root)
	unknown(t, "relax arp kore", err, "did you mean core?")
	if h, _ := a.b.Holds(ctx); len(h) != 0 {
		t.Errorf("a refused hold was made: %+v", h)
	}
	if o, _ := a.b.Overrides(ctx); len(o.DefaultUpgrade)+len(o.Relaxations) != 0 {
		t.Errorf("a refused override was made: %+v", o)
	}

	// Known names pass: an offered module may be held before it is installed.
	if _, err := a.b.SetHolds(ctx, api.HoldsChange{Hold: []api.Hold{{Module: "warehouse"}}}, root); err != nil {
		t.Errorf("hold warehouse (offered): %v", err)
	}
	_, err = a.b.SetHolds(ctx, api.HoldsChange{Unhold: []string{"warehous"}}, root)
	unknown(t, "unhold warehous", err, "warehous: it is not held; did you mean warehouse?")
	if _, err := a.b.Scan(ctx, api.ScanRequest{Install: []string{"warehouse"}, IncludeUpgrades: []string{"arp"}}, root); err != nil {
		t.Errorf("scan --install warehouse --include-upgrades arp: %v", err)
	}
}
