// Package sample builds the demo catalog's module archives: the core 2.50 → 3.0 story that the quick start and the end-to-end tests use.
package sample

import (
	"archive/zip"
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Module is one demo module version.
type Module struct {
	Name, Version, Summary string
	Core, Patch            bool
	DefaultUpgrade         bool
	UpgradeFrom            string
	Maturity               string
	Depends                []string
	Scripts                []Script
}

// Script is a migration script carried by a demo archive.
type Script struct {
	Phase, Path, To, Body string
}

// Catalog is the demo story, in publishing order (dependencies first):
// core 2.50.20 (installed) with a patch 2.50.21 and an update 2.50.22, core
// 3.0.0 reachable only from 2.50.22; arp 1.3/1.4 for 2.50 and 2.0 for 3.0,
// not upgraded by default; localization-es and reports tied to core 2.50, so
// they block the core upgrade; warehouse, not installed, with a version per series.
func Catalog() []Module {
	core := func(v, summary string, patch bool, from string, scripts ...Script) Module {
		return Module{Name: "core", Version: v, Summary: summary, Core: true, Patch: patch, DefaultUpgrade: true,
			UpgradeFrom: from, Maturity: "confirmed-stable", Scripts: scripts}
	}
	arp := func(v, dep string, scripts ...Script) Module {
		return Module{Name: "arp", Version: v, Summary: "Advanced Receivables and Payables", Maturity: "confirmed-stable",
			Depends: []string{dep}, Scripts: scripts}
	}
	return []Module{
		core("2.50.20", "ERP core", false, ""),
		core("2.50.21", "ERP core: fixes rounding of tax totals", true, ""),
		core("2.50.22", "ERP core: adds the fiscal year lock", false, "",
			Script{"pre", "migrations/2.50.22/pre.sql", "2.50.22", "-- close open periods before the lock column appears\nSELECT 1;\n"},
			Script{"post", "migrations/2.50.22/post.sql", "2.50.22", "UPDATE settings SET value = 'on' WHERE key = 'fiscal_lock';\n"}),
		core("3.0.0", "ERP core 3.0: new document engine", false, "2.50.22",
			Script{"pre", "migrations/3.0.0/pre.sql", "3.0.0", "-- archive the 2.50 document queue\nSELECT 1;\n"}),
		arp("1.3.0", "core>=2.50.0"),
		arp("1.4.0", "core>=2.50.20", Script{"post", "migrations/1.4.0/post.sql", "1.4.0", "UPDATE arp_settings SET dunning = 1;\n"}),
		arp("2.0.0", "core>=3.0.0"),
		{Name: "localization-es", Version: "1.2.0", Summary: "Spanish localization: chart of accounts and tax reports",
			DefaultUpgrade: true, Maturity: "confirmed-stable", Depends: []string{"core>=2.50.0"}},
		{Name: "reports", Version: "0.9.0", Summary: "Custom reports", DefaultUpgrade: true, Maturity: "beta",
			Depends: []string{"core=2.50.*"}},
		{Name: "warehouse", Version: "1.0.0", Summary: "Warehouse management", DefaultUpgrade: true,
			Maturity: "confirmed-stable", Depends: []string{"core>=2.50.20"}},
		{Name: "warehouse", Version: "2.0.0", Summary: "Warehouse management for core 3.0", DefaultUpgrade: true,
			Maturity: "confirmed-stable", Depends: []string{"core>=3.0.0"}},
	}
}

// Find returns the demo module name at version.
func Find(name, version string) (Module, bool) {
	for _, m := range Catalog() {
		if m.Name == name && m.Version == version {
			return m, true
		}
	}
	return Module{}, false
}

// ArchiveOf builds the archive of the demo module name at version.
func ArchiveOf(name, version string) ([]byte, error) {
	m, ok := Find(name, version)
	if !ok {
		return nil, fmt.Errorf("no %s %s in the demo catalog", name, version)
	}
	return m.Archive()
}

// Manifest renders m's upkeep.toml.
func (m Module) Manifest() string {
	var b strings.Builder
	fmt.Fprintf(&b, "name = %q\nversion = %q\nsummary = %q\nmaturity = %q\n", m.Name, m.Version, m.Summary, m.Maturity)
	fmt.Fprintf(&b, "core = %v\npatch = %v\ndefault_upgrade = %v\n", m.Core, m.Patch, m.DefaultUpgrade)
	if m.UpgradeFrom != "" {
		fmt.Fprintf(&b, "upgrade_from = %q\n", m.UpgradeFrom)
	}
	if len(m.Depends) > 0 {
		quoted := make([]string, len(m.Depends))
		for i, d := range m.Depends {
			quoted[i] = fmt.Sprintf("%q", d)
		}
		fmt.Fprintf(&b, "depends = [%s]\n", strings.Join(quoted, ", "))
	}
	for _, s := range m.Scripts {
		fmt.Fprintf(&b, "\n[[scripts]]\nphase = %q\npath = %q\nto = %q\n", s.Phase, s.Path, s.To)
	}
	return b.String()
}

// Archive builds m's module archive: upkeep.toml, the module's schema and its scripts.
func (m Module) Archive() ([]byte, error) {
	files := map[string]string{
		"upkeep.toml": m.Manifest(),
		"schema.sql":  fmt.Sprintf("-- %s %s\nCREATE TABLE IF NOT EXISTS %s_info (version TEXT);\n", m.Name, m.Version, strings.ReplaceAll(m.Name, "-", "_")),
	}
	order := []string{"upkeep.toml", "schema.sql"}
	for _, s := range m.Scripts {
		files[s.Path] = s.Body
		order = append(order, s.Path)
	}
	return zipInOrder(order, files)
}

// Zip builds a zip archive of files (name → content) in name order: for
// tests that need archives other than the demo catalog's, hostile ones
// included (names are written as given).
func Zip(files map[string]string) ([]byte, error) {
	return zipInOrder(slices.Sorted(maps.Keys(files)), files)
}

// zipInOrder zips files in the order of names.
func zipInOrder(names []string, files map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range names {
		w, err := zw.Create(name)
		if err != nil {
			return nil, fmt.Errorf("zip create %s: %w", name, err)
		}
		if _, err := w.Write([]byte(files[name])); err != nil {
			return nil, fmt.Errorf("zip write %s: %w", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zip close: %w", err)
	}
	return buf.Bytes(), nil
}
