package scan

import (
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
)

func TestAddDisabled(t *testing.T) {
	cases := []struct {
		name      string
		installed []Installed
		disabled  map[string]string
		want      []string // module disabled-version -> offered version (zero: "none"), in order
		reason    string   // in the first entry's reasons
	}{
		{name: "a module that fits again is offered with its step",
			installed: inst("core 2.50.20", "arp 1.3.0", "reports 0.9.0"), disabled: map[string]string{"localization-es": "1.2.0"},
			want: []string{"localization-es 1.2.0 -> 1.2.0"}},
		{name: "a module that fits no version of the installed core says why",
			installed: inst("core 3.0.0"), disabled: map[string]string{"localization-es": "1.2.0"},
			want: []string{"localization-es 1.2.0 -> none"}, reason: "core"},
		{name: "a module installed again since is left out",
			installed: demoInstalled(), disabled: map[string]string{"localization-es": "1.2.0"}},
		{name: "a module no repository offers says so",
			installed: demoInstalled(), disabled: map[string]string{"gone": "1.0.0", "reports": "0.9.0"},
			want: []string{"gone 1.0.0 -> none"}, reason: "no subscribed repository"},
		{name: "nothing disabled", installed: demoInstalled()},
	}
	x, err := NewIndex(demoListings(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := mustScan(t, x, c.installed, Policy{})
			before, err := r.Plan(PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			dis := map[string]catalog.Version{}
			for m, v := range c.disabled {
				dis[m] = catalog.MustParseVersion(v)
			}
			if err := r.AddDisabled(dis); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range r.Disabled {
				offer := "none"
				if !d.Offer.Version.IsZero() {
					offer = d.Offer.Version.String()
					if d.Offer.Stage == 0 {
						t.Errorf("%s: offered %s without a step", d.Module, offer)
					}
				}
				got = append(got, d.Module+" "+d.Version.String()+" -> "+offer)
			}
			expect(t, "disabled", got, c.want)
			if c.reason != "" && (len(r.Disabled) == 0 || !strings.Contains(strings.Join(r.Disabled[0].Offer.Reasons, "; "), c.reason)) {
				t.Errorf("reasons %+v, want one mentioning %q", r.Disabled, c.reason)
			}
			after, err := r.Plan(PlanOptions{})
			if err != nil || after.Hash != before.Hash || len(r.NewModules) != 0 {
				t.Errorf("AddDisabled changed the report: plan %s -> %s (%v), new modules %+v", before.Hash, after.Hash, err, r.NewModules)
			}
		})
	}
}
