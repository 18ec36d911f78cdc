package scan

import (
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
)

// TestOdooNumbering: on an instance numbered as Odoo does, 17.0.1.0.0 →
// 17.0.1.1.0 (a y change, which may add a column) is an update, never a
// patch; a z change is a patch only with the release's patch promise.
func TestOdooNumbering(t *testing.T) {
	x := index(t, []relSpec{
		rel(t, "base 17.0.1.3"),
		rel(t, "notes 17.0.1.0.0: base>=17.0.1.3"), rel(t, "notes 17.0.1.1.0: base>=17.0.1.3"),
		rel(t, "lamp 17.0.1.0.0: base>=17.0.1.3"), rel(t, "lamp 17.0.1.0.1: base>=17.0.1.3", patch()),
		rel(t, "shelf 17.0.1.0.0: base>=17.0.1.3"), rel(t, "shelf 17.0.1.0.1: base>=17.0.1.3"),
	})
	installed := inst("base 17.0.1.3", "notes 17.0.1.0.0", "lamp 17.0.1.0.0", "shelf 17.0.1.0.0")
	for i := range installed {
		installed[i].OdooNumbering = true
	}
	r := mustScan(t, x, installed, Policy{})
	want := map[string]catalog.ChangeKind{"notes 17.0.1.1.0": catalog.KindUpdate, "lamp 17.0.1.0.1": catalog.KindPatch, "shelf 17.0.1.0.1": catalog.KindUpdate}
	for _, c := range append(append([]Candidate{}, r.Patches...), r.Updates...) {
		k := c.Module + " " + c.To.String()
		if w, ok := want[k]; !ok || c.Kind != w {
			t.Errorf("%s is a %s, want %v", k, c.Kind, want[k])
		}
		delete(want, k)
	}
	if len(want) > 0 {
		t.Errorf("not proposed: %v", want)
	}
	// Without Odoo's numbering the same y change reads as a patch.
	if r := mustScan(t, x, inst("base 17.0.1.3", "notes 17.0.1.0.0"), Policy{}); len(r.Patches) != 1 || r.Patches[0].Module != "notes" {
		t.Errorf("without OdooNumbering: patches %v, updates %v", names(r.Patches), names(r.Updates))
	}
}
