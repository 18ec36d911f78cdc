package schedule

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
)

var ver = catalog.MustParseVersion

func cand(module, from, to string, k catalog.ChangeKind) scan.Candidate {
	return scan.Candidate{Module: module, From: ver(from), To: ver(to), Kind: k, Maturity: catalog.MaturityConfirmedStable,
		Repository: "2.50", Stage: 1}
}

// rep is a report with the given candidates, sorted into their lists.
func rep(cands ...scan.Candidate) *scan.Report {
	r := &scan.Report{Installed: []scan.InstalledModule{{Module: "arp", Version: ver("1.4.0")}, {Module: "core", Version: ver("2.50.21"), Core: true}}}
	for _, c := range cands {
		switch {
		case c.Stage == 0:
			r.NotApplicable = append(r.NotApplicable, c)
			continue
		case c.Kind == catalog.KindPatch:
			r.Patches = append(r.Patches, c)
		case c.Kind == catalog.KindUpdate:
			r.Updates = append(r.Updates, c)
		default:
			r.Upgrades = append(r.Upgrades, c)
		}
		r.Target = append(r.Target, scan.Change{Stage: 1, Module: c.Module, From: c.From, To: c.To, Kind: c.Kind})
	}
	return r
}

// planOf is the report's target as a plan, hashed over its changes.
func planOf(r *scan.Report) *scan.Plan {
	p := &scan.Plan{Schema: scan.PlanSchema, Disable: []scan.Disable{}}
	var b strings.Builder
	for _, c := range r.Target {
		p.Changes = append(p.Changes, scan.PlannedChange{Stage: c.Stage, Module: c.Module, From: c.From, To: c.To, Kind: c.Kind})
		b.WriteString(c.Module + "@" + c.To.String() + ";")
	}
	sum := sha256.Sum256([]byte(b.String()))
	p.Hash = hex.EncodeToString(sum[:])
	return p
}

func TestDecide(t *testing.T) {
	patch := cand("arp", "1.4.0", "1.4.0.1", catalog.KindPatch)
	update := cand("core", "2.50.21", "2.50.22", catalog.KindUpdate)
	blocked := cand("mail", "2.0.0", "2.1.0", catalog.KindUpdate)
	blocked.Stage = 0
	blocked.Why = &scan.Why{Reasons: []string{"mail 2.1.0 needs core>=3.0.0"}}
	patches := rep(patch)
	mixed := rep(patch, update)
	notify := Policy{}
	silent := Policy{Patches: Apply, Updates: Stage}
	rehearsed := Policy{Patches: Apply, RequireRehearsal: true}
	forced := Policy{Patches: Apply, Updates: Apply, Upgrades: Apply} // Validate refuses it; Decide must still not apply updates
	seen := func(keys ...string) map[string]bool {
		m := map[string]bool{}
		for _, k := range keys {
			m[k] = true
		}
		return m
	}
	pk := "patches:arp@1.4.0.1"
	for _, c := range []struct {
		name string
		in   Input
		news []string // kinds of the news events
		want Decision // News and Why are checked apart
		why  string   // a part of Why
	}{
		{name: "nothing new", in: Input{Report: rep(), Policy: silent}, news: []string{store.EventNothingNew}, why: "nothing to apply"},
		{name: "nothing new, seen", in: Input{Report: rep(), Policy: silent, Seen: seen(News(rep())[0].NewsKey)}},
		{name: "patch, notify", in: Input{Report: patches, Plan: planOf(patches), Policy: notify}, news: []string{store.EventPatches},
			want: Decision{Action: Notify}, why: "the policy says notify for 1 patch: arp 1.4.0.1"},
		{name: "patch, stage", in: Input{Report: patches, Plan: planOf(patches), Policy: Policy{Patches: Stage}, Seen: seen(pk)},
			want: Decision{Action: Stage, Stage: true}},
		{name: "patch, staged already", in: Input{Report: patches, Plan: planOf(patches), Policy: Policy{Patches: Stage}, Staged: true},
			news: []string{store.EventPatches}, want: Decision{Action: Stage}},
		{name: "patch, apply, outside the window", in: Input{Report: patches, Plan: planOf(patches), Policy: silent},
			news: []string{store.EventPatches}, want: Decision{Action: Apply, Stage: true, WaitForWindow: true}, why: "maintenance window"},
		{name: "patch, apply, in the window", in: Input{Report: patches, Plan: planOf(patches), Policy: silent, InWindow: true, Staged: true, Seen: seen(pk)},
			want: Decision{Action: Apply, Apply: true}},
		{name: "rehearsal required", in: Input{Report: patches, Plan: planOf(patches), Policy: rehearsed, InWindow: true, Staged: true},
			news: []string{store.EventPatches}, want: Decision{Action: Apply, Apply: true, Rehearse: true}},
		{name: "rehearsal passed before", in: Input{Report: patches, Plan: planOf(patches), Policy: rehearsed, InWindow: true, Staged: true, RehearsalPassed: true},
			news: []string{store.EventPatches}, want: Decision{Action: Apply, Apply: true}},
		{name: "failed and restored before", in: Input{Report: patches, Plan: planOf(patches), Policy: silent, InWindow: true, Staged: true,
			Seen: seen(pk, store.EventFailedRestored+":"+planOf(patches).Hash)}, want: Decision{Action: Apply}, why: "tried before (failed-restored)"},
		{name: "rehearsal failed before", in: Input{Report: patches, Plan: planOf(patches), Policy: rehearsed, InWindow: true, Staged: true,
			Seen: seen(pk, store.EventRehearsalFailed+":"+planOf(patches).Hash)}, want: Decision{Action: Apply}, why: "tried before (rehearsal-failed)"},
		{name: "patch with an update", in: Input{Report: mixed, Plan: planOf(mixed), Policy: silent, InWindow: true},
			news: []string{store.EventPatches, store.EventUpdates}, want: Decision{Action: Stage, Stage: true}, why: "1 change(s) other than patches"},
		{name: "updates are never applied silently", in: Input{Report: rep(update), Plan: planOf(rep(update)), Policy: forced, InWindow: true},
			news: []string{store.EventUpdates}, want: Decision{Action: Stage, Stage: true}},
		{name: "upgrades neither", in: Input{Report: rep(cand("core", "2.50.21", "3.0.0", catalog.KindUpgrade)),
			Plan: planOf(rep(cand("core", "2.50.21", "3.0.0", catalog.KindUpgrade))), Policy: forced, InWindow: true},
			news: []string{store.EventUpgrades}, want: Decision{Action: Stage, Stage: true}},
		{name: "a plan that disables", in: Input{Report: patches, Plan: func() *scan.Plan {
			p := planOf(patches)
			p.Disable = []scan.Disable{{Module: "mail", Version: ver("2.0.0")}}
			return p
		}(), Policy: silent, InWindow: true}, news: []string{store.EventPatches}, want: Decision{Action: Notify}, why: "disables modules"},
		{name: "blocked", in: Input{Report: rep(patch, blocked), Plan: planOf(rep(patch)), Policy: silent, InWindow: true, Staged: true},
			news: []string{store.EventPatches, store.EventBlocked}, want: Decision{Action: Apply, Apply: true}},
		{name: "planning failed", in: Input{Report: patches, Policy: silent, InWindow: true}, news: []string{store.EventPatches}, why: "nothing to apply"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Decide(c.in)
			var kinds []string
			for _, e := range got.News {
				kinds = append(kinds, e.Kind)
			}
			if strings.Join(kinds, ",") != strings.Join(c.news, ",") {
				t.Errorf("news = %v, want %v", kinds, c.news)
			}
			if !strings.Contains(got.Why, c.why) {
				t.Errorf("why = %q, want it to say %q", got.Why, c.why)
			}
			got.News, got.Why = nil, ""
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("decision = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestNewsTitlesAndKeys(t *testing.T) {
	var many []scan.Candidate
	for _, m := range []string{"arp", "core", "mail", "party", "stock"} {
		many = append(many, cand(m, "1.0.0", "1.0.0.1", catalog.KindPatch))
	}
	news := News(rep(many...))
	if len(news) != 1 || news[0].Title != "5 new patches: arp 1.0.0.1, core 1.0.0.1, mail 1.0.0.1 and 2 more" ||
		news[0].NewsKey != "patches:arp@1.0.0.1,core@1.0.0.1,mail@1.0.0.1,party@1.0.0.1,stock@1.0.0.1" || !news[0].Notify {
		t.Fatalf("news = %+v", news)
	}
	if !strings.Contains(news[0].Body, "  stock 1.0.0 → 1.0.0.1 (patch, confirmed-stable, repository 2.50)\n") {
		t.Errorf("body = %q", news[0].Body)
	}
	blocked := cand("mail", "2.0.0", "2.1.0", catalog.KindUpdate)
	blocked.Stage = 0
	blocked.Why = &scan.Why{Reasons: []string{"mail 2.1.0 needs core>=3.0.0"}, Disable: []scan.Disable{{Module: "crm", Version: ver("1.0.0")}}}
	r := rep(blocked)
	r.Warnings = []string{"core 3.0 is out, but this instance must first reach 2.50.22"}
	news = News(r)
	if len(news) != 1 || news[0].Level != store.LevelWarning || news[0].Title != "Cannot be applied as things stand: mail 2.1.0" ||
		!strings.Contains(news[0].Body, "    mail 2.1.0 needs core>=3.0.0\n    disabling these would let it apply: crm 1.0.0\n") ||
		!strings.Contains(news[0].Body, "must first reach 2.50.22") {
		t.Fatalf("blocked news = %+v", news)
	}
	back := rep()
	back.Disabled = []scan.DisabledModule{
		{Module: "l10n", Version: ver("1.2.0"), Offer: scan.NewModule{Module: "l10n", Version: ver("1.2.0.1"), Maturity: catalog.MaturityConfirmedStable, Repository: "3.0", Stage: 1}},
		{Module: "reports", Version: ver("0.9.0"), Offer: scan.NewModule{Module: "reports", Reasons: []string{"reports 0.9.0 needs core 2.50.*"}}},
	}
	news = News(back)
	if len(news) != 1 || news[0].Kind != store.EventReinstallable || news[0].Title != "Can be installed again: l10n 1.2.0.1" ||
		news[0].NewsKey != "reinstallable:l10n@1.2.0.1" || !news[0].Notify || !strings.Contains(news[0].Body, "upkeep apply --install l10n") {
		t.Fatalf("news of a disabled module that fits again = %+v; want one event for l10n alone", news)
	}
	quiet := News(rep())
	other := rep()
	other.Installed[0].Version = ver("1.4.0.1")
	if quiet[0].Notify || quiet[0].NewsKey == News(other)[0].NewsKey || quiet[0].NewsKey != News(rep())[0].NewsKey {
		t.Fatalf("nothing-new keys must follow the installed set: %q, %q", quiet[0].NewsKey, News(other)[0].NewsKey)
	}
	long := rep(many...)
	for i := range 40 {
		long.Patches = append(long.Patches, cand("module"+strings.Repeat("x", i), "1.0.0", "1.0.0.1", catalog.KindPatch))
	}
	if k := News(long)[0].NewsKey; !strings.HasPrefix(k, "patches:sha256:") || len(k) > 60 {
		t.Fatalf("long key = %q", k)
	}
}

func TestPolicyValidate(t *testing.T) {
	if err := (Policy{Patches: Apply, Updates: Stage, Upgrades: Notify}).Validate(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []Policy{{Updates: Apply}, {Upgrades: Apply}, {Patches: Action(7)}} {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v was accepted", p)
		}
	}
	if err := (Policy{Updates: Apply}).Validate(); err == nil || !strings.Contains(err.Error(), `updates = "apply": only patches may be applied silently`) {
		t.Errorf("error = %v", err)
	}
	for in, want := range map[string]Action{"notify": Notify, "stage": Stage, "apply": Apply} {
		if got, err := ParseAction(in); err != nil || got != want || got.String() != in {
			t.Errorf("ParseAction(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseAction("auto"); err == nil {
		t.Error("ParseAction accepted auto")
	}
}

func TestDecideSecurityFixes(t *testing.T) {
	hole := catalog.Advisory{ID: "UPK-1", Severity: catalog.SeverityCritical, Title: "t", Affects: catalog.MustParseConstraint("<1.5.0")}
	fix := cand("arp", "1.4.0", "1.5.0", catalog.KindUpdate)
	fix.Fixes = []catalog.Advisory{hole}
	upgrade := cand("core", "2.50.21", "3.0.0", catalog.KindUpgrade)
	upgrade.Fixes = []catalog.Advisory{hole}
	withFixes := func(r *scan.Report) *scan.Plan {
		p := planOf(r)
		for i := range p.Changes {
			p.Changes[i].Fixes = r.Target[i].Fixes
		}
		return p
	}
	fixes := rep(fix)
	fixes.Target[0].Fixes = fix.Fixes
	up := rep(upgrade)
	up.Target[0].Fixes = upgrade.Fixes
	for _, c := range []struct {
		name string
		in   Input
		want Decision
	}{
		{"notify by default", Input{Report: fixes, Plan: withFixes(fixes), InWindow: true}, Decision{Action: Notify}},
		{"apply in the window", Input{Report: fixes, Plan: withFixes(fixes), Policy: Policy{Security: Apply}, InWindow: true, Staged: true},
			Decision{Action: Apply, Apply: true}},
		{"rehearsal gate", Input{Report: fixes, Plan: withFixes(fixes), Policy: Policy{Security: Apply, RequireRehearsal: true}, InWindow: true, Staged: true},
			Decision{Action: Apply, Apply: true, Rehearse: true}},
		{"outside the window", Input{Report: fixes, Plan: withFixes(fixes), Policy: Policy{Security: Apply}},
			Decision{Action: Apply, Stage: true, WaitForWindow: true}},
		{"never an upgrade", Input{Report: up, Plan: withFixes(up), Policy: Policy{Security: Apply, Upgrades: Stage}, InWindow: true},
			Decision{Action: Stage, Stage: true}},
	} {
		got := Decide(c.in)
		if len(got.News) == 0 || got.News[0].Kind != store.EventSecurity || !got.News[0].Urgent() {
			t.Errorf("%s: news %+v, want the urgent security event first", c.name, got.News)
		}
		got.News, got.Why = nil, ""
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: decision %+v, want %+v", c.name, got, c.want)
		}
	}
	if err := (Spec{Every: time.Hour, Policy: Policy{Security: Apply}}).Validate(); err == nil || !strings.Contains(err.Error(), "policy.security = \"apply\" needs a maintenance window") {
		t.Errorf("security apply without windows: %v", err)
	}
}
