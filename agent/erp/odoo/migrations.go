package odoo

import (
	"cmp"
	"path"
	"slices"
	"strings"

	"github.com/upkeep-erp/upkeep/catalog"
)

// Odoo runs a module's own migration scripts during odoo-bin -u; Upkeep
// never runs them itself. This file says which of them Odoo will run, and
// in what order, by Odoo 17's rule (odoo/modules/migration.py).

// Stages of Odoo's migration scripts, in the order Odoo runs them: pre
// before the module's schema update, post after it and its data load, end
// after every module of the run.
var stages = []string{"pre", "post", "end"}

// scriptRoots are the folders of a module that hold migration scripts.
var scriptRoots = []string{"migrations", "upgrades"}

// anyChange is the folder whose scripts run on every version change.
const anyChange = "0.0.0"

// Script is one migration script Odoo will run for a module.
type Script struct {
	Module string // the module
	Stage  string // "pre", "post" or "end"
	Folder string // the version folder as named: "1.1.0", "17.0.1.1.0", "0.0.0"
	Path   string // slash path inside the module folder, e.g. "migrations/1.1.0/pre-rename.py"
}

// String is how the plan and the log name the script, in Odoo's own log
// notation: [>1.1.0] pre, [1.1.0>] post, [$1.1.0] end.
func (s Script) String() string {
	var tag string
	switch s.Stage {
	case "pre":
		tag = "[>" + s.Folder + "]"
	case "post":
		tag = "[" + s.Folder + ">]"
	default:
		tag = "[$" + s.Folder + "]"
	}
	return s.Module + " " + tag + " " + s.Path
}

// folderScripts is one version folder's .py files, by stage.
type folderScripts struct {
	folder string
	full   catalog.Version // the folder's version with the series ("0.0.0" stays zero-length)
	files  []string        // slash paths inside the module folder
}

// MigrationScripts returns, in the order Odoo runs them, the scripts that
// odoo-bin -u will run for module when its database version is installed
// (ir_module_module.latest_version) and its code's manifest version is
// manifest (both in full, 17.0.x.y.z). files are the module folder's
// files as slash paths (e.g. "migrations/1.1.0/pre-x.py"); others are
// ignored. A folder runs when installed < folder <= manifest: a majorless
// folder ("1.1.0") compares without the series, a full one
// ("17.0.1.1.0") in full, and "0.0.0" runs whenever installed < manifest.
// Within a stage, folders go by version ("0.0.0" first for pre, last
// otherwise), files by name.
func MigrationScripts(module string, installed, manifest catalog.Version, series catalog.Series, files []string) []Script {
	if installed.IsZero() || manifest.Compare(installed) <= 0 {
		return nil // a first install runs none; nor does a run at the same version
	}
	folders := scriptFolders(files, series)
	var out []Script
	for _, stage := range stages {
		for _, f := range orderFolders(folders, stage) {
			if !runs(f, installed, manifest) {
				continue
			}
			for _, p := range f.files {
				if strings.HasPrefix(path.Base(p), stage+"-") {
					out = append(out, Script{Module: module, Stage: stage, Folder: f.folder, Path: p})
				}
			}
		}
	}
	return out
}

// runs is Odoo's compare(): whether folder f's scripts run.
func runs(f folderScripts, installed, manifest catalog.Version) bool {
	if f.folder == anyChange {
		return true // installed < manifest, checked by the caller
	}
	if !isMajorless(f.folder) {
		return installed.Less(f.full) && f.full.Compare(manifest) <= 0
	}
	mod := catalog.OdooModulePart(f.full)
	return catalog.OdooModulePart(installed).Less(mod) && mod.Compare(catalog.OdooModulePart(manifest)) <= 0
}

// isMajorless reports whether a folder name leaves the series out: Odoo
// counts a name of at most two dots as majorless.
func isMajorless(folder string) bool { return strings.Count(folder, ".") <= 2 }

// scriptFolders groups the .py files directly inside
// {migrations,upgrades}/<version>/ by version folder; folders whose name is
// not a version Odoo accepts (and "tests") are left out, as Odoo does.
func scriptFolders(files []string, series catalog.Series) []folderScripts {
	byName := map[string]*folderScripts{}
	for _, p := range files {
		parts := strings.Split(p, "/")
		if len(parts) != 3 || !slices.Contains(scriptRoots, parts[0]) || path.Ext(parts[2]) != ".py" {
			continue
		}
		full, ok := folderVersion(parts[1], series)
		if !ok {
			continue
		}
		f := byName[parts[1]]
		if f == nil {
			f = &folderScripts{folder: parts[1], full: full}
			byName[parts[1]] = f
		}
		f.files = append(f.files, p)
	}
	out := make([]folderScripts, 0, len(byName))
	for _, f := range byName {
		slices.SortFunc(f.files, func(a, b string) int {
			return cmp.Or(strings.Compare(path.Base(a), path.Base(b)), strings.Compare(a, b))
		})
		out = append(out, *f)
	}
	return out
}

// folderVersion reads a version folder's name as Odoo's VERSION_RE does
// (x.y, x.y.z, or a series N.0 / 6.1 in front) and returns it in full.
func folderVersion(name string, series catalog.Series) (catalog.Version, bool) {
	if name == anyChange {
		return catalog.Version{}, true
	}
	v, err := catalog.ParseVersion(name)
	if err != nil || strings.ContainsAny(name, "Mm") {
		return catalog.Version{}, false
	}
	switch n := v.Len(); {
	case n == 2 || n == 3:
		full, err := catalog.ParseVersion(series.String() + "." + v.String())
		return full, err == nil
	case n == 4 || n == 5:
		s := v.Series()
		return v, s.Major >= 6 && (s.Minor == 0 || s == catalog.Series{Major: 6, Minor: 1})
	}
	return catalog.Version{}, false
}

// orderFolders sorts folders by version for stage, "0.0.0" first for pre
// and last for post and end.
func orderFolders(folders []folderScripts, stage string) []folderScripts {
	out := slices.Clone(folders)
	slices.SortFunc(out, func(a, b folderScripts) int {
		az, bz := a.folder == anyChange, b.folder == anyChange
		switch {
		case az != bz && (stage == "pre") == az:
			return -1
		case az != bz:
			return 1
		}
		return cmp.Or(a.full.Compare(b.full), strings.Compare(a.folder, b.folder))
	})
	return out
}
