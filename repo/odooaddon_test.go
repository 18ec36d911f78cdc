package repo

import (
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// lendingShelf is an invented Odoo addon's manifest, as Odoo writes them.
const lendingShelf = `# -*- coding: utf-8 -*-
{
    'name': 'Lending Shelf',
    'version': '17.0.1.1.0',
    'summary': 'Lend books and tools to members',
    'depends': ['base', 'shelf_core'],
    'data': ['security/ir.model.access.csv'],
    'installable': True,
}
`

// publishOdooBase publishes the core (base 17.0) and shelf_core for the addon to depend on.
func publishOdooBase(t *testing.T, s *Store) {
	t.Helper()
	mustPublish(t, s, sample.Module{Name: "base", Version: "17.0.1.3", Core: true, DefaultUpgrade: true, Maturity: "confirmed-stable"})
	mustPublish(t, s, mod("shelf_core", "17.0.1.0.0", "base>=17.0"))
}

func TestPublishOdooAddonAsItIs(t *testing.T) {
	s, _ := newTestStore(t)
	publishOdooBase(t, s)
	data := zipOf(t, map[string]string{
		"lending_shelf/__manifest__.py":                    lendingShelf,
		"lending_shelf/__init__.py":                        "from . import models\n",
		"lending_shelf/migrations/1.1.0/pre-rename.py":     "def migrate(cr, version):\n    pass\n",
		"lending_shelf/migrations/17.0.1.0.1/post-fill.py": "def migrate(cr, version):\n    pass\n",
		"lending_shelf/security/ir.model.access.csv":       "id,name\n",
		"lending_shelf/upkeep.toml":                        "maturity = \"qa-approved\"\ndefault_upgrade = false\npatch = true\nversion = \"1.1.0\"\n",
	})
	p, err := s.Publish(t.Context(), data, admin)
	if err != nil {
		t.Fatalf("publish the addon: %v", err)
	}
	if p.Module != "lending_shelf" || p.Version != "17.0.1.1.0" || strings.Join(p.Repositories, ",") != "17.0" {
		t.Fatalf("published %+v, want lending_shelf 17.0.1.1.0 into 17.0", p)
	}
	// What was stored is a module archive whose upkeep.toml says it all.
	stored, _, err := catalog.OdooAddonArchive(data, catalog.DefaultArchiveLimits())
	if err != nil {
		t.Fatal(err)
	}
	arc, err := catalog.ReadArchive(strings.NewReader(string(stored)), int64(len(stored)), catalog.DefaultArchiveLimits())
	if err != nil {
		t.Fatal(err)
	}
	m := arc.Manifest
	var deps []string
	for _, d := range m.Depends {
		deps = append(deps, d.String())
	}
	if m.Summary != "Lend books and tools to members" || m.Maturity.String() != "qa-approved" || m.DefaultUpgrade || !m.Patch ||
		!strings.Contains(strings.Join(deps, ";"), "base") || !strings.Contains(strings.Join(deps, ";"), "shelf_core") || len(deps) != 2 {
		t.Errorf("manifest written from the addon: %+v (depends %v)", m, deps)
	}
	if got := placements(t, s)["lending_shelf 17.0.1.1.0"]; got != "17.0" {
		t.Errorf("lending_shelf placed in %q, want 17.0", got)
	}
}

func TestPublishOdooAddonRejects(t *testing.T) {
	s, _ := newTestStore(t)
	publishOdooBase(t, s)
	before := fingerprint(t, s)
	for _, tt := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"not a dict", map[string]string{"shelf/__manifest__.py": "['base']"}, "not a dict"},
		{"a call", map[string]string{"shelf/__manifest__.py": "{'version': get_version()}"}, "get_version is not a literal"},
		{"no version", map[string]string{"shelf/__manifest__.py": "{'depends': ['base']}"}, "has no 'version'"},
		{"no series", map[string]string{"shelf/__manifest__.py": "{'version': '1.1.0', 'depends': ['base']}"}, "does not say its Odoo series"},
		{"versions disagree", map[string]string{"shelf/__manifest__.py": lendingShelf, "shelf/upkeep.toml": "version = \"17.0.1.2.0\"\n"}, "must agree"},
		{"depends in upkeep.toml", map[string]string{"shelf/__manifest__.py": lendingShelf, "shelf/upkeep.toml": "depends = []\n"}, "not for an Odoo addon"},
		{"migration above the version", map[string]string{"shelf/__manifest__.py": lendingShelf, "shelf/migrations/1.2.0/pre-x.py": "x"}, "Odoo would never run it"},
		{"manifest at the root", map[string]string{"__manifest__.py": lendingShelf}, "in its own folder"},
		{"two addons", map[string]string{"a/__manifest__.py": lendingShelf, "b/__manifest__.py": lendingShelf}, "one addon per archive"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Publish(t.Context(), zipOf(t, tt.files), admin)
			if err == nil || !strings.Contains(err.Error(), tt.want) || KindOf(err) != KindInvalid {
				t.Fatalf("publish: %v, want an invalid-input error saying %q", err, tt.want)
			}
		})
	}
	if fingerprint(t, s) != before {
		t.Error("a rejected addon changed the store")
	}
}
