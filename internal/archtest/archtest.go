// Package archtest checks the module's packages against docs/DESIGN.md's import rules.
package archtest

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Package is one package of the module as `go list` reports it.
type Package struct {
	ImportPath string
	Imports    []string // non-test imports only
}

// Violation is one forbidden import.
type Violation struct {
	Package string
	Import  string
	Reason  string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s imports %s: %s", v.Package, v.Import, v.Reason)
}

// rule governs the packages of the trees in from; trees are module-relative
// package paths, each standing for itself and every package under it.
type rule struct {
	from    []string
	closed  bool     // imports of module packages outside from and mayUse are violations
	mayUse  []string // module trees a closed rule allows besides its own
	mustNot []string // module trees the packages must not import
	pure    bool     // standard library minus ioStd, plus pureThirdParty, only
}

// rules is docs/DESIGN.md's "Layers" (arrows point down) as a table; an empty tree ("")
// is the whole module.
var rules = []rule{
	{from: []string{"catalog"}, closed: true, pure: true},
	{from: []string{"agent/scan"}, closed: true, mayUse: []string{"catalog"}, pure: true},
	{from: []string{"agent/modname"}, closed: true, pure: true},
	{from: []string{"platform"}, closed: true},
	{from: []string{"gui"}, closed: true, mayUse: []string{"catalog", "agent/api", "platform"}},
	{from: []string{"repo"}, mustNot: []string{"agent", "gui", "cmd"}},
	{from: []string{"agent"}, mustNot: []string{"repo", "gui", "cmd"}},
	{from: []string{""}, mustNot: []string{"cmd"}},
}

// guard keeps the packages of trees (but those in shared, exactly) for
// the packages of the trees in by: no other package imports them.
type guard struct {
	trees  []string
	shared []string // packages under trees that any package may import
	by     []string
	why    string
}

// guards are docs/DESIGN.md's "One place" rules: an ERP adapter is built only
// by the agent's assembly (agent/host), where each one registers; the
// demo ERP is for the demo alone.
var guards = []guard{
	{trees: []string{"agent/erp"}, shared: []string{"agent/erp", "agent/erp/proc", "agent/erp/dbcopy", "agent/erp/erptest"},
		by: []string{"agent/host", "agent/erp", "bench"}, why: "the ERP adapters are built in one place, agent/host"},
	{trees: []string{"demoerp"}, by: []string{"demoerp", "agent/erp/demo", "quickstart", "cmd"},
		why: "the demo ERP serves the demo and its adapter; production code never runs it"},
}

// reason says why g forbids the module package rel to import imp (module-relative), or "".
func (g guard) reason(rel, imp string) string {
	if !inAny(imp, g.trees) || slices.Contains(g.shared, imp) || inAny(rel, g.by) {
		return ""
	}
	what := treeList(g.trees)
	if len(g.shared) > 0 {
		what += " (but " + strings.Join(g.shared, ", ") + ")"
	}
	return fmt.Sprintf("only %s may import %s: %s", treeList(g.by), what, g.why)
}

// pureThirdParty are the only non-standard packages pure packages may import.
var pureThirdParty = []string{"github.com/BurntSushi/toml"}

// ioStd are the standard packages (trees) pure packages must not import,
// because they reach the file system, the network or the process.
var ioStd = []string{
	"os", "net", "syscall", "io/ioutil", "database/sql", "log/syslog",
	"plugin", "runtime/cgo", "path/filepath", "C",
}

// Check returns every violation of the rules by pkgs, whose import paths
// start with module, sorted by package and import.
func Check(module string, pkgs []Package) []Violation {
	var out []Violation
	for _, p := range pkgs {
		rel, ok := relative(module, p.ImportPath)
		if !ok {
			continue
		}
		for _, r := range rules {
			if inAny(rel, r.from) {
				out = append(out, r.check(module, p, rel)...)
			}
		}
		out = append(out, checkGuards(module, p, rel)...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Package != out[j].Package {
			return out[i].Package < out[j].Package
		}
		return out[i].Import < out[j].Import
	})
	return out
}

// check returns the violations of r by package p (module-relative path rel).
func (r rule) check(module string, p Package, rel string) []Violation {
	var out []Violation
	for _, imp := range p.Imports {
		if reason := r.reason(module, imp); reason != "" {
			out = append(out, Violation{Package: p.ImportPath, Import: imp, Reason: reason})
		}
	}
	return out
}

// checkGuards returns the violations of the guards by package p
// (module-relative path rel).
func checkGuards(module string, p Package, rel string) []Violation {
	var out []Violation
	for _, imp := range p.Imports {
		irel, ok := relative(module, imp)
		if !ok {
			continue
		}
		for _, g := range guards {
			if reason := g.reason(rel, irel); reason != "" {
				out = append(out, Violation{Package: p.ImportPath, Import: imp, Reason: reason})
			}
		}
	}
	return out
}

// reason says why r forbids importing imp, or returns "" if it allows it.
func (r rule) reason(module, imp string) string {
	if rel, ok := relative(module, imp); ok {
		return r.productReason(rel)
	}
	if !r.pure {
		return ""
	}
	if isStd(imp) {
		if inAny(imp, ioStd) {
			return fmt.Sprintf("%s must do no I/O", treeList(r.from))
		}
		return ""
	}
	if inAny(imp, pureThirdParty) {
		return ""
	}
	return fmt.Sprintf("%s may import only the standard library and %s",
		treeList(r.from), strings.Join(pureThirdParty, ", "))
}

// productReason says why r forbids importing the module package rel.
func (r rule) productReason(rel string) string {
	if inAny(rel, r.mustNot) {
		return fmt.Sprintf("%s must not import %s", treeList(r.from), treeList(r.mustNot))
	}
	if r.closed && !inAny(rel, r.from) && !inAny(rel, r.mayUse) {
		if len(r.mayUse) == 0 {
			return fmt.Sprintf("%s imports no other package of this module", treeList(r.from))
		}
		return fmt.Sprintf("%s may import from this module only %s", treeList(r.from), treeList(r.mayUse))
	}
	return ""
}

// relative returns path relative to module, and whether path is in it.
func relative(module, path string) (string, bool) {
	if path == module {
		return "", true
	}
	rel, ok := strings.CutPrefix(path, module+"/")
	return rel, ok
}

// inAny reports whether path is one of trees or under one of them.
func inAny(path string, trees []string) bool {
	for _, t := range trees {
		if t == "" || path == t || strings.HasPrefix(path, t+"/") {
			return true
		}
	}
	return false
}

// isStd reports whether imp is a standard library path: its first element
// has no dot. "C" (cgo) counts as standard so ioStd can name it.
func isStd(imp string) bool {
	first, _, _ := strings.Cut(imp, "/")
	return !strings.Contains(first, ".")
}

func treeList(trees []string) string {
	var names []string
	for _, t := range trees {
		if t == "" {
			t = "the module"
		}
		names = append(names, t+"/...")
	}
	return strings.Join(names, ", ")
}
