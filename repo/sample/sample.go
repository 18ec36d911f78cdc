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
	UpdateAll              bool // update_all: applying it updates every installed module
	DefaultUpgrade         bool
	UpgradeFrom            string
	Maturity               string
	Depends                []string
	Scripts                []Script
	Notes                  string // release notes (Markdown)
	Advisories             []Advisory
}

// Advisory is a security advisory a demo version carries.
type Advisory struct {
	ID, Severity, Title, URL, Affects string
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
	mods := []Module{
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
	for i := range mods {
		m := &mods[i]
		m.Notes = releaseNotes[m.Name+" "+m.Version]
		if m.Name == "arp" && m.Version == "1.4.0" {
			m.Advisories = []Advisory{arpAdvisory}
		}
	}
	return mods
}

// arpAdvisory is the demo's security hole: arp before 1.4.0 lets a payment
// proposal through above its approver's limit; 1.4.0 fixes it.
var arpAdvisory = Advisory{ID: "UPK-2026-0031", Severity: "high", Title: "Payment proposals bypass the approver's amount limit",
	URL: "https://security.upkeep-erp.example/advisories/UPK-2026-0031", Affects: "<1.4.0"}

// releaseNotes are the demo versions' release notes, by "name version".
var releaseNotes = map[string]string{
	"core 2.50.20": "Maintenance release of the 2.50 core.",
	"core 2.50.21": "Fixes the rounding of tax totals.\n\n- Tax totals are rounded once per invoice, no longer line by line.\n" +
		"- Invoices with more than 100 lines no longer drift by a cent.\n\nNo schema change: a patch.",
	"core 2.50.22": "## Fiscal year lock\n\nA closed fiscal year can be locked: nothing can be posted into it any more.\n\n" +
		"- New setting `fiscal_lock`, switched on by the update.\n- Open periods are closed before the lock appears.",
	"core 3.0.0": "## Core 3.0\n\n- **New document engine**: invoices, delivery notes and reports are rendered by it.\n" +
		"- The 2.50 document queue is archived during the upgrade.\n- Modules made for 2.50 need their 3.0 versions.",
	"arp 1.3.0": "Dunning letters in the customer's language.",
	"arp 1.4.0": "## Automatic dunning\n\n- Dunning runs every night for overdue invoices.\n" +
		"- **Security:** payment proposals are checked against the approver's amount limit again (UPK-2026-0031).",
	"arp 2.0.0":             "Receivables and payables for core 3.0: payment proposals use the new document engine.",
	"localization-es 1.2.0": "Chart of accounts 2026 and the new SII tax report.",
	"reports 0.9.0":         "Custom reports: report titles and a PDF export.",
	"warehouse 1.0.0":       "Warehouse management: locations, stock moves and a stock report.",
	"warehouse 2.0.0":       "Warehouse management for core 3.0: delivery notes from the new document engine.",
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
	if m.UpdateAll {
		b.WriteString("update_all = true\n")
	}
	if m.UpgradeFrom != "" {
		fmt.Fprintf(&b, "upgrade_from = %q\n", m.UpgradeFrom)
	}
	if m.Notes != "" {
		fmt.Fprintf(&b, "notes = %q\n", m.Notes)
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
	for _, a := range m.Advisories {
		fmt.Fprintf(&b, "\n[[advisories]]\nid = %q\nseverity = %q\ntitle = %q\nurl = %q\naffects = %q\n", a.ID, a.Severity, a.Title, a.URL, a.Affects)
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
