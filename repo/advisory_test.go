package repo

import (
	"reflect"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
)

func TestPublishStoresNotesAndAdvisories(t *testing.T) {
	ctx := t.Context()
	s, _ := newTestStore(t)
	publishSample(t, s)
	manifest := "name = \"reports\"\nversion = \"0.9.1\"\nmaturity = \"beta\"\ndepends = [\"core=2.50.*\"]\n" +
		"notes = \"Escapes report titles.\"\n[[advisories]]\nid = \"UPK-2026-0042\"\nseverity = \"high\"\n" +
		"title = \"Stored XSS in report titles\"\naffects = \"<0.9.1\"\n"
	if _, err := s.Publish(ctx, zipOf(t, map[string]string{"upkeep.toml": manifest}), admin); err != nil {
		t.Fatal(err)
	}
	l := currentListing(t, s, "2.50", "reports")
	r := l.Versions[len(l.Versions)-1]
	if r.Version.String() != "0.9.1" || r.Notes != "Escapes report titles." || len(r.Advisories) != 1 ||
		r.Advisories[0].ID != "UPK-2026-0042" || r.Advisories[0].Affects.String() != "<0.9.1" {
		t.Fatalf("signed listing entry: %+v", r)
	}
	verifyChain(t, s, "2.50")

	bad := strings.Replace(manifest, `"high"`, `"urgent"`, 1)
	bad = strings.Replace(bad, "0.9.1\"\nmaturity", "0.9.2\"\nmaturity", 1)
	_, err := s.Publish(ctx, zipOf(t, map[string]string{"upkeep.toml": bad}), admin)
	if KindOf(err) != KindInvalid || !strings.Contains(err.Error(), `severity "urgent" is not known`) {
		t.Fatalf("publish with a bad severity: %v", err)
	}
}

func TestAddAdvisorySignsAndAudits(t *testing.T) {
	ctx := t.Context()
	s, _ := newTestStore(t)
	publishSample(t, s)
	adv := catalog.Advisory{ID: "UPK-2026-0007", Severity: catalog.SeverityCritical, Title: "Payment run skips the approval",
		URL: "https://example.com/UPK-2026-0007", Affects: catalog.MustParseConstraint("<1.4.0")}
	if err := s.AddAdvisory(ctx, "arp", "1.4.0", adv, admin); err != nil {
		t.Fatal(err)
	}
	for _, repo := range []string{"2.50"} {
		l := currentListing(t, s, repo, "arp")
		var found bool
		for _, r := range l.Versions {
			if r.Version.String() == "1.4.0" {
				n := len(r.Advisories) // the demo's own advisory, then this one
				found = n == 2 && reflect.DeepEqual(r.Advisories[n-1], adv)
			}
		}
		if !found {
			t.Fatalf("listing of arp in %s lacks the advisory: %+v", repo, l.Versions)
		}
		verifyChain(t, s, repo)
	}
	entries, err := s.Log(ctx, LogFilter{Module: "arp"})
	if err != nil {
		t.Fatal(err)
	}
	last := entries[len(entries)-1]
	if last.Action != "advisory" || last.Version != "1.4.0" || last.Result != ResultOK ||
		last.Detail != "UPK-2026-0007 critical affects <1.4.0: Payment run skips the approval" {
		t.Fatalf("audit entry %+v", last)
	}

	before := fingerprint(t, s)
	publisher := Actor{Name: "acme", Role: RolePublisher, Modules: []string{"warehouse"}}
	for name, tc := range map[string]struct {
		module, version string
		adv             catalog.Advisory
		actor           Actor
		kind            Kind
		want            string
	}{
		"twice":       {"arp", "1.4.0", adv, admin, KindConflict, "already carries advisory"},
		"not mine":    {"arp", "1.4.0", adv, publisher, KindForbidden, "may not add advisories to arp"},
		"unpublished": {"arp", "9.9.9", adv, admin, KindNotFound, "arp 9.9.9 is not published"},
		"no affects":  {"arp", "1.3.0", catalog.Advisory{ID: "X", Title: "t"}, admin, KindInvalid, "affects is missing"},
	} {
		err := s.AddAdvisory(ctx, tc.module, tc.version, tc.adv, tc.actor)
		if KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %v %q", name, err, tc.kind, tc.want)
		}
	}
	if after := fingerprint(t, s); after != before {
		t.Error("a refused advisory changed the published state")
	}
	refused, err := s.Log(ctx, LogFilter{Module: "arp", Refused: true})
	if err != nil || len(refused) != 4 {
		t.Fatalf("refusals audited: %d, %v", len(refused), err)
	}
	// The archive itself never changes: its bytes and sha256 stay as published.
	m := storedManifest(t, s, "arp", "1.4.0")
	if len(m.Advisories) != 1 {
		t.Fatalf("archive manifest changed: %+v", m.Advisories)
	}
}
