package odoo

import (
	"slices"
	"testing"

	"github.com/upkeep-erp/upkeep/catalog"
)

// notesFiles is an invented module's folder with migration scripts laid
// out as Odoo reads them.
var notesFiles = []string{
	"__manifest__.py",
	"models/note.py",
	"migrations/1.1.0/pre-add-colour.py",
	"migrations/1.1.0/post-fill-colour.py",
	"migrations/1.1.0/end-check.py",
	"migrations/1.1.0/README.txt",   // not a .py: ignored
	"migrations/1.0.0/pre-older.py", // at the installed version: skipped
	"migrations/0.0.0/end-always.py",
	"migrations/0.0.0/pre-always.py",
	"migrations/17.0.1.2.0/post-full.py",
	"migrations/16.0.1.1.0/post-other-series.py",
	"migrations/tests/pre-test.py",      // "tests" is not a version
	"migrations/1.1.0/deep/pre-x.py",    // not directly in the folder
	"migrations/not-a-version/pre-y.py", // ignored, as Odoo does
	"upgrades/1.1.0/pre-from-upgrades.py",
	"upgrades/1.3/post-too-new.py",
	"migrations/pre-top.py", // not in a version folder
}

func TestMigrationScripts(t *testing.T) {
	s17 := catalog.Series{Major: 17}
	v := catalog.MustParseVersion
	tests := []struct {
		name                string
		installed, manifest string
		files               []string
		want                []string
	}{
		{"update 1.0.0 to 1.2.0", "17.0.1.0.0", "17.0.1.2.0", notesFiles, []string{
			"m [>0.0.0] migrations/0.0.0/pre-always.py",
			"m [>1.1.0] migrations/1.1.0/pre-add-colour.py",
			"m [>1.1.0] upgrades/1.1.0/pre-from-upgrades.py",
			"m [1.1.0>] migrations/1.1.0/post-fill-colour.py",
			"m [17.0.1.2.0>] migrations/17.0.1.2.0/post-full.py",
			"m [$1.1.0] migrations/1.1.0/end-check.py",
			"m [$0.0.0] migrations/0.0.0/end-always.py",
		}},
		{"update to 1.1.0 only", "17.0.1.0.0", "17.0.1.1.0", notesFiles, []string{
			"m [>0.0.0] migrations/0.0.0/pre-always.py",
			"m [>1.1.0] migrations/1.1.0/pre-add-colour.py",
			"m [>1.1.0] upgrades/1.1.0/pre-from-upgrades.py",
			"m [1.1.0>] migrations/1.1.0/post-fill-colour.py",
			"m [$1.1.0] migrations/1.1.0/end-check.py",
			"m [$0.0.0] migrations/0.0.0/end-always.py",
		}},
		{"majorless 1.1.0 equals the installed 17.0.1.1.0: skipped", "17.0.1.1.0", "17.0.1.2.0", notesFiles, []string{
			"m [>0.0.0] migrations/0.0.0/pre-always.py",
			"m [17.0.1.2.0>] migrations/17.0.1.2.0/post-full.py",
			"m [$0.0.0] migrations/0.0.0/end-always.py",
		}},
		{"same version: nothing", "17.0.1.1.0", "17.0.1.1.0", notesFiles, nil},
		{"first install: nothing", "", "17.0.1.1.0", notesFiles, nil},
		{"downgrade: nothing", "17.0.1.2.0", "17.0.1.1.0", notesFiles, nil},
		{"majorless across series compares the module part only", "16.0.1.0.0", "17.0.1.1.0", notesFiles, []string{
			"m [>0.0.0] migrations/0.0.0/pre-always.py",
			"m [>1.1.0] migrations/1.1.0/pre-add-colour.py",
			"m [>1.1.0] upgrades/1.1.0/pre-from-upgrades.py",
			"m [16.0.1.1.0>] migrations/16.0.1.1.0/post-other-series.py", // 16.0.1.1.0 sorts before 17.0.1.1.0
			"m [1.1.0>] migrations/1.1.0/post-fill-colour.py",
			"m [$1.1.0] migrations/1.1.0/end-check.py",
			"m [$0.0.0] migrations/0.0.0/end-always.py",
		}},
		{"folders sort by version, not by name", "17.0.1.0", "17.0.1.10", []string{
			"migrations/1.9/pre-a.py", "migrations/1.10/pre-b.py", "migrations/1.2/pre-c.py",
		}, []string{
			"m [>1.2] migrations/1.2/pre-c.py",
			"m [>1.9] migrations/1.9/pre-a.py",
			"m [>1.10] migrations/1.10/pre-b.py",
		}},
		{"a two-dot name starting with the series is majorless", "17.0.1.0.0", "17.0.17.0.1", []string{
			"migrations/17.0.1/pre-a.py",
		}, []string{"m [>17.0.1] migrations/17.0.1/pre-a.py"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inst catalog.Version
			if tt.installed != "" {
				inst = v(tt.installed)
			}
			var got []string
			for _, s := range MigrationScripts("m", inst, v(tt.manifest), s17, tt.files) {
				got = append(got, s.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
