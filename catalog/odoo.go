package catalog

import "fmt"

// Odoo numbers a module SERIES.x.y.z (17.0.1.1.0): the series is the
// core's, x the module's major version, y an update, z a fix. A manifest
// may leave the series out (1.1.0); Odoo then stores the version with the
// series in front, so 1.1.0 and 17.0.1.1.0 are the same version.

// OdooFull returns v with the series in front, as Odoo stores it: a version
// that does not start with series gets it prefixed (1.1.0 → 17.0.1.1.0),
// one that does is kept. Like Odoo, a version equal to the series is
// prefixed too (17.0 → 17.0.17.0). A version too long to take the prefix
// is returned unchanged.
func OdooFull(v Version, series Series) Version {
	if v.len > 2 && v.Series() == series {
		return v
	}
	if int(v.len)+2 > MaxComponents {
		return v
	}
	w := series.First()
	for i := 0; i < int(v.len); i++ {
		w.n[w.len] = v.n[i]
		w.len++
	}
	return w
}

// OdooModulePart returns what follows the series in a full Odoo version:
// 17.0.1.1.0 → 1.1.0, 17.0.1.3 → 1.3. A version of two components or
// fewer has no module part and is returned unchanged.
func OdooModulePart(v Version) Version {
	if v.len <= 2 {
		return v
	}
	var w Version
	for i := 2; i < int(v.len); i++ {
		w.n[w.len] = v.n[i]
		w.len++
	}
	return w
}

// ParseOdooVersion reads a version as Odoo's __manifest__.py writes it
// and returns it in full (with series in front). Like Odoo, it accepts
// x.y, x.y.z, SERIES.x.y and SERIES.x.y.z only.
func ParseOdooVersion(s string, series Series) (Version, error) {
	v, err := ParseVersion(s)
	if err != nil {
		return Version{}, err
	}
	full := OdooFull(v, series)
	if n := OdooModulePart(full).Len(); full.Series() != series || n < 2 || n > 3 {
		return Version{}, fmt.Errorf("version %s: Odoo %s accepts x.y, x.y.z, %s.x.y or %s.x.y.z only (e.g. %q)",
			Quote(s), series, series, series, series.String()+".1.0.0")
	}
	return full, nil
}

// ClassifyOdoo is the change-kind rule for an Odoo module (not the core),
// on full versions (see OdooFull). Going from from to release to is:
//   - an upgrade when the series changes (the core's) or the module's own
//     major version x does;
//   - an update when y changes;
//   - when only z changes, a patch if the release promises no schema
//     change (Release.Patch), else an update;
//   - a patch when only components after z differ.
//
// A patch claim never turns an x or y change into a patch: Odoo's y
// numbers changes that may add fields.
func ClassifyOdoo(from Version, to Release) ChangeKind {
	if to.Version.Compare(from) <= 0 {
		return KindNone
	}
	if from.Series() != to.Version.Series() {
		return KindUpgrade
	}
	f, t := OdooModulePart(from), OdooModulePart(to.Version)
	switch {
	case f.n[0] != t.n[0]:
		return KindUpgrade
	case f.n[1] != t.n[1]:
		return KindUpdate
	case f.n[2] != t.n[2] && !to.Patch:
		return KindUpdate
	}
	return KindPatch
}
