package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// The keys each table of upkeep.toml may hold.
var (
	manifestKeys   = []string{"name", "version", "summary", "core", "maturity", "default_upgrade", "patch", "update_all", "upgrade_from", "depends", "scripts", "notes", "notes_file", "advisories"}
	dependencyKeys = []string{"module", "first", "last", "below", "enforcement", "user_editable"}
	scriptKeys     = []string{"phase", "path", "from", "to"}
	advisoryKeys   = []string{"id", "severity", "title", "url", "affects"}
)

// ParseManifest reads and validates an upkeep.toml. Unknown keys are errors,
// so a misspelt key is never silently ignored.
func ParseManifest(data []byte) (*Manifest, error) {
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return nil, fmt.Errorf("%s: fix the TOML syntax: %w", ManifestName, err)
	}
	m, err := manifestFromTable(&tomlTable{m: doc})
	if err == nil {
		err = m.validate()
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ManifestName, err)
	}
	return m, nil
}

func manifestFromTable(t *tomlTable) (*Manifest, error) {
	t.checkKeys(manifestKeys)
	name, _ := t.str("name")
	summary, _ := t.str("summary")
	m := &Manifest{
		Name:           name,
		Summary:        summary,
		Core:           t.boolean("core", false),
		DefaultUpgrade: t.boolean("default_upgrade", true),
		Patch:          t.boolean("patch", false),
		UpdateAll:      t.boolean("update_all", false),
		UpgradeFrom:    t.version("upgrade_from"),
	}
	if v := t.version("version"); v != nil {
		m.Version = *v
	}
	notesFromTable(t, m)
	if s, ok := t.str("maturity"); ok && t.err == nil {
		mat, err := ParseMaturity(s)
		t.fail(err, "maturity")
		m.Maturity = mat
	}
	if t.err != nil {
		return nil, t.err
	}
	var err error
	if m.Depends, err = dependsFromTOML(t.m["depends"]); err != nil {
		return nil, err
	}
	if m.Scripts, err = scriptsFromTOML(t.m["scripts"]); err != nil {
		return nil, err
	}
	if m.Advisories, err = advisoriesFromTOML(t.m["advisories"]); err != nil {
		return nil, err
	}
	return m, nil
}

// notesFromTable reads notes or notes_file, refusing both.
func notesFromTable(t *tomlTable, m *Manifest) {
	m.Notes, _ = t.str("notes")
	m.NotesFile, _ = t.str("notes_file")
	if t.err == nil && m.Notes != "" && m.NotesFile != "" {
		t.fail(errors.New("notes and notes_file are both given; keep one: notes for a short text, notes_file for a file in the archive"), "")
	}
}

// advisoriesFromTOML converts the advisories array of tables.
func advisoriesFromTOML(v any) ([]Advisory, error) {
	items, err := tomlArray(v, "advisories", "[[advisories]] tables")
	if err != nil {
		return nil, err
	}
	var advs []Advisory
	for i, item := range items {
		where := fmt.Sprintf("advisories[%d]", i)
		tbl, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: must be a table with id, severity, title and affects, not %s", where, tomlType(item))
		}
		a, err := advisoryFromTable(&tomlTable{m: tbl})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		advs = append(advs, a)
	}
	return advs, nil
}

func advisoryFromTable(t *tomlTable) (Advisory, error) {
	t.checkKeys(advisoryKeys)
	var a Advisory
	a.ID, _ = t.str("id")
	a.Title, _ = t.str("title")
	a.URL, _ = t.str("url")
	sev, hasSev := t.str("severity")
	affects, hasAffects := t.str("affects")
	if t.err != nil {
		return a, t.err
	}
	if !hasSev {
		return a, errors.New("severity is missing; use one of " + strings.Join(severityNames, ", "))
	}
	var err error
	if a.Severity, err = ParseSeverity(sev); err != nil {
		return a, err
	}
	if hasAffects {
		if a.Affects, err = ParseConstraint(affects); err != nil {
			return a, fmt.Errorf("affects: %w", err)
		}
	}
	return a, nil
}

// dependsFromTOML converts the depends array: compact strings, tables or a mix.
func dependsFromTOML(v any) ([]Dependency, error) {
	items, err := tomlArray(v, "depends", `depends = ["core>=2.50.0"]`)
	if err != nil {
		return nil, err
	}
	var deps []Dependency
	if items != nil {
		deps = make([]Dependency, 0, len(items)) // "depends = []" reads back as written
	}
	for i, item := range items {
		where := fmt.Sprintf("depends[%d]", i)
		var d Dependency
		switch x := item.(type) {
		case string:
			d, err = ParseDependency(x)
		case map[string]any:
			d, err = dependencyFromTable(&tomlTable{m: x})
		default:
			err = fmt.Errorf(`must be a string such as "core>=2.50.0" or a table with module and first, not %s`, tomlType(item))
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		deps = append(deps, d)
	}
	return deps, nil
}

func dependencyFromTable(t *tomlTable) (Dependency, error) {
	t.checkKeys(dependencyKeys)
	module, _ := t.str("module")
	d := Dependency{Module: module, UserEditable: t.boolean("user_editable", false)}
	first := t.version("first")
	upper, err := upperBound(t.version("last"), t.version("below"))
	t.fail(err, "")
	enf, hasEnf := t.str("enforcement")
	if t.err != nil {
		return d, t.err
	}
	if first == nil {
		return d, errors.New(`first is missing; give the lowest version that works, e.g. first = "2.50.0"`)
	}
	d.First, d.Upper = *first, upper
	d.Enforcement = d.defaultEnforcement()
	if hasEnf {
		if d.Enforcement, err = ParseEnforcement(enf); err != nil {
			return d, fmt.Errorf("enforcement: %w", err)
		}
	}
	return d, nil
}

// scriptsFromTOML converts the scripts array of tables.
func scriptsFromTOML(v any) ([]Script, error) {
	items, err := tomlArray(v, "scripts", "[[scripts]] tables")
	if err != nil {
		return nil, err
	}
	var scripts []Script
	if items != nil {
		scripts = make([]Script, 0, len(items))
	}
	for i, item := range items {
		where := fmt.Sprintf("scripts[%d]", i)
		tbl, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: must be a table with phase, path and to, not %s", where, tomlType(item))
		}
		t := &tomlTable{m: tbl}
		t.checkKeys(scriptKeys)
		var s Script
		s.Phase, _ = t.str("phase")
		s.Path, _ = t.str("path")
		s.From = t.version("from")
		if to := t.version("to"); to != nil {
			s.To = *to
		}
		if t.err != nil {
			return nil, fmt.Errorf("%s: %w", where, t.err)
		}
		scripts = append(scripts, s)
	}
	return scripts, nil
}

// tomlArray returns v as a slice; absent gives nil.
func tomlArray(v any, key, example string) ([]any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		return x, nil
	case []map[string]any:
		items := make([]any, len(x))
		for i := range x {
			items[i] = x[i]
		}
		return items, nil
	}
	return nil, fmt.Errorf("%s: must be an array, e.g. %s, not %s", key, example, tomlType(v))
}

func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int64, float64:
		return "a number"
	case map[string]any:
		return "a table"
	case []any, []map[string]any:
		return "an array"
	}
	return "a date or time"
}

// tomlTable reads typed values from one decoded table, keeping the first error.
type tomlTable struct {
	m   map[string]any
	err error
}

// fail records err (about key, if any) unless an error is already recorded.
func (t *tomlTable) fail(err error, key string) {
	if err == nil || t.err != nil {
		return
	}
	if key != "" {
		err = fmt.Errorf("%s: %w", key, err)
	}
	t.err = err
}

// checkKeys records an error naming every key not in known.
func (t *tomlTable) checkKeys(known []string) {
	var unknown []string
	for k := range t.m {
		if !slices.Contains(known, k) {
			unknown = append(unknown, fmt.Sprintf("%q", k))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		t.fail(fmt.Errorf("unknown key %s; the keys here are %s: fix the spelling or remove it",
			strings.Join(unknown, ", "), strings.Join(known, ", ")), "")
	}
}

func (t *tomlTable) str(key string) (string, bool) {
	v, ok := t.m[key]
	if !ok {
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		t.fail(fmt.Errorf(`must be a string in quotes, e.g. %s = "...", not %s`, key, tomlType(v)), key)
	}
	return s, isStr
}

func (t *tomlTable) boolean(key string, def bool) bool {
	v, ok := t.m[key]
	if !ok {
		return def
	}
	b, isBool := v.(bool)
	if !isBool {
		t.fail(fmt.Errorf("must be true or false (without quotes), not %s", tomlType(v)), key)
	}
	return b
}

// version reads an optional version; absent gives nil.
func (t *tomlTable) version(key string) *Version {
	s, ok := t.str(key)
	if !ok {
		return nil
	}
	v, err := ParseVersion(s)
	t.fail(err, key)
	return &v
}

// EncodeTOML writes m as an upkeep.toml that ParseManifest reads back to an
// equal Manifest (an empty but non-nil Depends or Scripts is written as an
// empty array). The output is deterministic; m must be valid.
func (m *Manifest) EncodeTOML() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "name = %s\n", tomlQuote(m.Name))
	fmt.Fprintf(&b, "version = %s\n", tomlQuote(m.Version.String()))
	fmt.Fprintf(&b, "summary = %s\n", tomlQuote(m.Summary))
	fmt.Fprintf(&b, "core = %t\n", m.Core)
	fmt.Fprintf(&b, "maturity = %s\n", tomlQuote(m.Maturity.String()))
	fmt.Fprintf(&b, "default_upgrade = %t\n", m.DefaultUpgrade)
	fmt.Fprintf(&b, "patch = %t\n", m.Patch)
	if m.UpdateAll {
		b.WriteString("update_all = true\n")
	}
	if m.UpgradeFrom != nil {
		fmt.Fprintf(&b, "upgrade_from = %s\n", tomlQuote(m.UpgradeFrom.String()))
	}
	if m.Depends != nil {
		b.WriteString("depends = [")
		for _, d := range m.Depends {
			fmt.Fprintf(&b, "\n  %s,", dependencyTOML(d))
		}
		if len(m.Depends) > 0 {
			b.WriteString("\n")
		}
		b.WriteString("]\n")
	}
	switch {
	case m.NotesFile != "":
		fmt.Fprintf(&b, "notes_file = %s\n", tomlQuote(m.NotesFile))
	case m.Notes != "":
		fmt.Fprintf(&b, "notes = %s\n", tomlQuote(m.Notes))
	}
	if m.Scripts != nil && len(m.Scripts) == 0 {
		b.WriteString("scripts = []\n")
	}
	for _, s := range m.Scripts {
		b.WriteString("\n[[scripts]]\n")
		fmt.Fprintf(&b, "phase = %s\npath = %s\n", tomlQuote(s.Phase), tomlQuote(s.Path))
		if s.From != nil {
			fmt.Fprintf(&b, "from = %s\n", tomlQuote(s.From.String()))
		}
		fmt.Fprintf(&b, "to = %s\n", tomlQuote(s.To.String()))
	}
	for _, a := range m.Advisories {
		b.WriteString("\n[[advisories]]\n")
		fmt.Fprintf(&b, "id = %s\nseverity = %s\ntitle = %s\n", tomlQuote(a.ID), tomlQuote(a.Severity.String()), tomlQuote(a.Title))
		if a.URL != "" {
			fmt.Fprintf(&b, "url = %s\n", tomlQuote(a.URL))
		}
		fmt.Fprintf(&b, "affects = %s\n", tomlQuote(a.Affects.String()))
	}
	return b.Bytes(), nil
}

// dependencyTOML writes d as a compact string when that reads back exactly,
// otherwise as an inline table.
func dependencyTOML(d Dependency) string {
	if p, err := ParseDependency(d.String()); err == nil && reflect.DeepEqual(p, d) {
		return tomlQuote(d.String())
	}
	return dependencyTable(d)
}

func dependencyTable(d Dependency) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{ module = %s, first = %s", tomlQuote(d.Module), tomlQuote(d.First.String()))
	if d.Upper != nil {
		key := "below"
		if d.Upper.Inclusive {
			key = "last"
		}
		fmt.Fprintf(&b, ", %s = %s", key, tomlQuote(d.Upper.Version.String()))
	}
	fmt.Fprintf(&b, ", enforcement = %s", tomlQuote(d.Enforcement.String()))
	if d.UserEditable {
		b.WriteString(", user_editable = true")
	}
	b.WriteString(" }")
	return b.String()
}

// tomlQuote writes s as a TOML basic string.
func tomlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
