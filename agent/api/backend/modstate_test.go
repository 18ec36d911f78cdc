package backend_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/api/backend"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/catalog"
)

func installedSet() []erp.Module {
	m := func(name, v string, core bool, deps ...string) erp.Module {
		return erp.Module{Name: name, Version: catalog.MustParseVersion(v), Core: core, Depends: deps}
	}
	return []erp.Module{m("ir", "6.0.0", true), m("party", "6.0.1", false, "ir", "country"), m("country", "6.0.0", false, "ir"),
		m("sale", "6.0.2", false, "party"), m("purchase", "6.0.0", false, "party"), m("notes", "1.0.0", false, "ir")}
}

func TestDisablePlan(t *testing.T) {
	for _, tc := range []struct {
		names    []string
		withDeps bool
		disable  string // the plan's disables, or "" for a refusal
		refusal  string
	}{
		{[]string{"notes"}, false, "notes 1.0.0", ""},
		{[]string{"country"}, false, "", "installed modules depend on country: party, purchase, sale; disable them too with --with-dependents"},
		{[]string{"country"}, true, "country 6.0.0, party 6.0.1, purchase 6.0.0, sale 6.0.2", ""},
		{[]string{"sale", "purchase"}, false, "purchase 6.0.0, sale 6.0.2", ""},
		{[]string{"ir"}, true, "", "ir is the ERP's core"},
		{[]string{"partie"}, false, "", `no installed module is named "partie"; did you mean party?`},
	} {
		t.Run(strings.Join(tc.names, ","), func(t *testing.T) {
			plan, _, err := backend.DisablePlan(installedSet(), tc.names, tc.withDeps)
			var br *api.BadRequestError
			if tc.refusal != "" {
				if !errors.As(err, &br) || !strings.Contains(err.Error(), tc.refusal) {
					t.Fatalf("DisablePlan = %v, want a refusal naming %q", err, tc.refusal)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range plan.Disable {
				got = append(got, d.Module+" "+d.Version.String())
			}
			if strings.Join(got, ", ") != tc.disable || plan.Hash == "" || len(plan.Changes) != 0 {
				t.Errorf("plan disables %q (hash %q), want %q", got, plan.Hash, tc.disable)
			}
		})
	}
}

func TestEnablePlan(t *testing.T) {
	ledger := map[string]string{"reports": "0.9.0", "arp": "1.3.0"}
	plan, err := backend.EnablePlan(installedSet(), []string{"reports"}, ledger, []string{"reports"})
	if err != nil || len(plan.Enable) != 1 || plan.Enable[0].Version.String() != "0.9.0" {
		t.Fatalf("EnablePlan(reports) = %+v, %v", plan, err)
	}
	again, _ := backend.EnablePlan(installedSet(), []string{"reports"}, ledger, []string{"reports"})
	if again.Hash != plan.Hash {
		t.Error("the same enable planned twice has two hashes")
	}
	for name, want := range map[string]string{
		"party":   "party is installed, not disabled",
		"report":  "did you mean reports?",
		"arp":     `no module named "arp" is disabled`, // in the ledger, but the ERP does not hold it disabled
		"unknown": "upkeep installed lists the disabled modules",
	} {
		if _, err := backend.EnablePlan(installedSet(), []string{"reports"}, ledger, []string{name}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("EnablePlan(%s) = %v, want %q", name, err, want)
		}
	}
}
