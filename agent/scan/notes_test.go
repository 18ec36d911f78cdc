package scan

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
)

func notes(text string) relOpt { return func(r *relSpec) { r.rel.Notes = text } }

func advisory(id string, sev catalog.Severity, affects string) relOpt {
	return func(r *relSpec) {
		r.rel.Advisories = append(r.rel.Advisories, catalog.Advisory{ID: id, Severity: sev, Title: "hole " + id,
			Affects: catalog.MustParseConstraint(affects)})
	}
}

func notesVersions(ns []VersionNotes) string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Version.String()+"="+n.Notes)
	}
	return strings.Join(out, " ")
}

func ids(advs []catalog.Advisory) string {
	var out []string
	for _, a := range advs {
		out = append(out, a.ID)
	}
	return strings.Join(out, " ")
}

func TestChangesCarryNotesAndFixes(t *testing.T) {
	x := index(t, []relSpec{
		rel(t, "core 1.0.0"),
		rel(t, "app 1.2.0", notes("old")),
		rel(t, "app 1.3.0", notes("three")),
		rel(t, "app 1.3.1: core>=1.0.0", notes("three-one"), advisory("LOW-1", catalog.SeverityLow, ">=1.2.0,<1.3.1")),
		rel(t, "app 1.4.0: core>=1.0.0", notes("four"), advisory("CRIT-1", catalog.SeverityCritical, "<1.4.0")),
		rel(t, "lib 1.0.0", advisory("OPEN-1", catalog.SeverityHigh, "<=1.0.0")),
		rel(t, "old 1.0.0"), rel(t, "old 2.0.0", advisory("OLD-1", catalog.SeverityMedium, "<1.5")),
	})
	r := mustScan(t, x, inst("core 1.0.0", "app 1.3.0", "lib 1.0.0", "old 1.0.0"), Policy{Holds: map[string]string{"old": "kept"}})
	c := findCandidate(r.Updates, "app", "1.4.0")
	if c == nil {
		t.Fatalf("no app 1.4.0 update: %+v", r.Updates)
	}
	if got := notesVersions(c.Notes); got != "1.4.0=four 1.3.1=three-one" {
		t.Errorf("app 1.3.0 -> 1.4.0 notes: %s", got)
	}
	if got := ids(c.Fixes); got != "CRIT-1 LOW-1" {
		t.Errorf("app 1.3.0 -> 1.4.0 fixes: %s (most severe first)", got)
	}
	if c := findCandidate(r.Updates, "app", "1.3.1"); c == nil || ids(c.Fixes) != "LOW-1" || notesVersions(c.Notes) != "1.3.1=three-one" {
		t.Errorf("app 1.3.1: %+v", c)
	}
	if len(r.Target) != 1 || notesVersions(r.Target[0].Notes) != "1.4.0=four 1.3.1=three-one" || ids(r.Target[0].Fixes) != "CRIT-1 LOW-1" {
		t.Errorf("target %+v", r.Target)
	}
	// lib has no fix; old is held away from its fix: both exposed. app is not.
	if len(r.Exposed) != 2 {
		t.Fatalf("exposed %+v", r.Exposed)
	}
	lib, old := r.Exposed[0], r.Exposed[1]
	if lib.Module != "lib" || lib.Advisory.ID != "OPEN-1" || !lib.FixedIn.IsZero() {
		t.Errorf("lib exposure %+v", lib)
	}
	if old.Module != "old" || old.Advisory.ID != "OLD-1" || old.FixedIn.String() != "2.0.0" {
		t.Errorf("old exposure %+v", old)
	}
	body, err := json.Marshal(r)
	if err != nil || !strings.Contains(string(body), `"fixes":[{"id":"CRIT-1","severity":"critical"`) ||
		!strings.Contains(string(body), `"fixed_in":"2.0.0"`) {
		t.Errorf("--json lacks fixes or exposures: %v\n%s", err, body)
	}
	if sev, ok := Highest(c.Fixes); !ok || sev != catalog.SeverityCritical {
		t.Errorf("Highest = %v %v", sev, ok)
	}
}

func TestNoNotesNoWalk(t *testing.T) {
	x := index(t, []relSpec{rel(t, "core 1.0.0"), rel(t, "core 1.0.1")})
	r := mustScan(t, x, inst("core 1.0.0"), Policy{})
	if r.Exposed == nil || len(r.Exposed) != 0 || len(r.Updates) != 1 || r.Updates[0].Notes != nil {
		t.Fatalf("report %+v", r)
	}
	body, _ := json.Marshal(r)
	if !strings.Contains(string(body), `"exposed":[]`) || strings.Contains(string(body), `"notes"`) {
		t.Errorf("json %s", body)
	}
}
