package scan

import (
	"strings"

	"github.com/upkeep-erp/upkeep/catalog"
)

// depText writes a dependency the way an administrator reads it:
// "core 2.50.*", "core>=2.50.0, i.e. <2.51", "core>=2.50.0,<3.1", "core>=3.0.0".
func depText(d catalog.Dependency) string {
	r := d.Range()
	switch {
	case d.Upper == nil && d.Enforcement == catalog.EnforceMajor && d.First.Len() == 2:
		return d.Module + " " + d.First.String() + ".*"
	case r.Unbounded:
		return d.Module + ">=" + d.First.String()
	case d.Upper != nil:
		return d.Module + r.String()
	case r.HiInclusive:
		return d.Module + ">=" + d.First.String() + ", i.e. <=" + r.Hi.String()
	}
	return d.Module + ">=" + d.First.String() + ", i.e. <" + r.Hi.String()
}

// needText is depText, shortened to the lower bound when no version is
// installed or the installed one is below it ("core>=3.0.0").
func needText(d catalog.Dependency, installed catalog.Version) string {
	if installed.IsZero() || installed.Less(d.First) {
		return d.Module + ">=" + d.First.String()
	}
	return depText(d)
}

// pdepText is depText with a note when the instance relaxed the dependency.
func pdepText(d pdep) string {
	if d.relaxed {
		return depText(d.dep) + " (relaxed to " + d.dep.Enforcement.String() + ")"
	}
	return depText(d.dep)
}

// verb is what an administrator does for a change of kind k.
func verb(k catalog.ChangeKind) string {
	switch k {
	case catalog.KindUpgrade:
		return "upgrade"
	case catalog.KindNew:
		return "install"
	}
	return "update"
}

// joinAnd joins items as "a, b and c".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// mv names module i at value j: "core 2.50.20" (labels are built by layout).
func (p *problem) mv(i, j int) string {
	if j == 0 {
		return p.mods[i].name + " (none)"
	}
	if v := &p.mods[i].vals[j]; v.label != "" {
		return v.label
	}
	return p.mods[i].name + " " + p.mods[i].vals[j].ver.String()
}
