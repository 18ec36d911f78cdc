package catalog

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ManifestName is the manifest's file name at the archive root.
const ManifestName = "upkeep.toml"

// maxSummary is the most characters a summary may have.
const maxSummary = 500

// Script is a migration script carried in a module archive. It runs when the
// installed version v satisfies From <= v < To (From optional) and the target
// version is >= To. Scripts run ordered by To, then by Path.
type Script struct {
	Phase string   `json:"phase"`          // "pre" or "post"
	Path  string   `json:"path"`           // slash-separated path inside the archive
	From  *Version `json:"from,omitempty"` // optional inclusive lower bound on the installed version
	To    Version  `json:"to"`             // the version this migration leads to
}

// Manifest is a module archive's upkeep.toml.
type Manifest struct {
	Name           string
	Version        Version
	Summary        string
	Core           bool
	Depends        []Dependency
	Maturity       Maturity
	DefaultUpgrade bool // module-level; defaults to true when absent
	Patch          bool // promises no schema change
	UpdateAll      bool // applying this version needs the ERP's update of every installed module
	UpgradeFrom    *Version
	Scripts        []Script
	// Notes are the release notes in Markdown, kept as text. With NotesFile
	// (a path inside the archive) set, ReadArchive fills them from that file.
	Notes      string
	NotesFile  string
	Advisories []Advisory
}

// AppliesTo reports whether s runs when moving from version installed to
// version target: From <= installed < To <= target (From optional).
func (s Script) AppliesTo(installed, target Version) bool {
	return (s.From == nil || installed.Compare(*s.From) >= 0) &&
		installed.Less(s.To) && s.To.Compare(target) <= 0
}

// validate checks s as a script of a release at version; the message leaves
// naming s to the caller.
func (s Script) validate(version Version) error {
	if s.Phase != "pre" && s.Phase != "post" {
		return fmt.Errorf(`phase %s is not known; use "pre" (before the ERP's update) or "post" (after it)`, Quote(s.Phase))
	}
	if err := checkRelPath(s.Path); err != nil {
		return fmt.Errorf("path: %w", err)
	}
	switch path.Ext(s.Path) {
	case ".sql", ".py", ".sh":
	default:
		return fmt.Errorf("path %s: must end in .sql, .py or .sh", Quote(s.Path))
	}
	if s.To.IsZero() {
		return fmt.Errorf(`to is missing; give the version this migration leads to, e.g. to = "%s"`, version)
	}
	if s.To.Compare(version) > 0 {
		return fmt.Errorf("to %s is above the release's version %s; lower it or raise the version", s.To, version)
	}
	if s.From != nil && s.From.Compare(s.To) >= 0 {
		return fmt.Errorf("from %s is not below to %s; lower from or drop it", *s.From, s.To)
	}
	return nil
}

// checkRelPath checks that p is a clean, relative slash path that stays inside its root.
func checkRelPath(p string) error {
	switch {
	case p == "":
		return errors.New("is empty")
	case !utf8.ValidString(p):
		return fmt.Errorf("%s is not valid UTF-8; use UTF-8 names", Quote(p))
	case strings.ContainsFunc(p, unicode.IsControl):
		return fmt.Errorf("%s contains a control character; rename it", Quote(p))
	case strings.HasPrefix(p, "/"):
		return fmt.Errorf("%s is absolute; use a path relative to the archive root", Quote(p))
	case strings.Contains(p, `\`):
		return fmt.Errorf(`%s contains "\"; use "/" to separate folders`, Quote(p))
	case strings.Contains(p, ":"):
		return fmt.Errorf(`%s contains ":" (a drive letter or a Windows stream); use a plain relative path`, Quote(p))
	case p == ".." || strings.HasPrefix(p, "../") || strings.HasSuffix(p, "/..") || strings.Contains(p, "/../"):
		return fmt.Errorf(`%s contains ".."; use a path that stays inside the archive`, Quote(p))
	case path.Clean(p) != p:
		return fmt.Errorf("%s is not in clean form; write it as %s", Quote(p), Quote(path.Clean(p)))
	}
	for _, elem := range strings.Split(p, "/") {
		base, _, _ := strings.Cut(elem, ".")
		base = strings.TrimRight(base, " ")
		if isWindowsDevice(base) {
			return fmt.Errorf("%s uses the Windows device name %q; rename it", Quote(p), base)
		}
	}
	return nil
}

// isWindowsDevice reports whether name is reserved on Windows (CON, NUL, COM1…), in any case.
func isWindowsDevice(name string) bool {
	switch strings.ToUpper(name) {
	case "CON", "PRN", "AUX", "NUL",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return true
	}
	return false
}

// Validate checks every field; the error names the field and says how to fix it.
func (m *Manifest) Validate() error {
	if err := m.validate(); err != nil {
		return fmt.Errorf("%s: %w", ManifestName, err)
	}
	return nil
}

func (m *Manifest) validate() error {
	if err := ValidateModuleName(m.Name); err != nil {
		return fmt.Errorf("name: %w", err)
	}
	if m.Version.IsZero() {
		return errors.New(`version is missing; add e.g. version = "1.0.0"`)
	}
	if err := checkSummary(m.Summary); err != nil {
		return err
	}
	if !m.Maturity.valid() {
		return fmt.Errorf("maturity %d is not defined; use one of %s", int(m.Maturity), strings.Join(maturityNames, ", "))
	}
	if m.UpgradeFrom != nil && m.UpgradeFrom.Compare(m.Version) >= 0 {
		return fmt.Errorf("upgrade_from %s is not below version %s; lower it or drop it", *m.UpgradeFrom, m.Version)
	}
	if err := validateDepends(m.Depends, m.Name); err != nil {
		return err
	}
	if err := validateScripts(m.Scripts, m.Version); err != nil {
		return err
	}
	return m.validateNotes()
}

// validateNotes checks the release notes, their file and the advisories.
func (m *Manifest) validateNotes() error {
	if err := CheckNotes(m.Notes); err != nil {
		return fmt.Errorf("notes %w", err)
	}
	if m.NotesFile != "" {
		if err := checkRelPath(m.NotesFile); err != nil {
			return fmt.Errorf("notes_file: %w", err)
		}
	}
	return validateAdvisories(m.Advisories)
}

func checkSummary(s string) error {
	switch {
	case utf8.RuneCountInString(s) > maxSummary:
		return fmt.Errorf("summary is %d characters long; shorten it to at most %d", utf8.RuneCountInString(s), maxSummary)
	case !utf8.ValidString(s):
		return errors.New("summary is not valid UTF-8; save the file as UTF-8")
	case strings.ContainsAny(s, "\r\n"):
		return errors.New("summary spans several lines; write it as a single line")
	case strings.ContainsFunc(s, unicode.IsControl):
		return errors.New("summary contains a control character; write plain text")
	}
	return nil
}

// validateDepends checks each dependency, and that no module appears twice
// or depends on itself (self).
func validateDepends(deps []Dependency, self string) error {
	seen := make(map[string]bool, len(deps))
	for i, d := range deps {
		if err := d.validate(); err != nil {
			return fmt.Errorf("depends[%d] (%s): %w", i, d.Module, err)
		}
		if d.Module == self {
			return fmt.Errorf("depends[%d]: module %q depends on itself; remove this dependency", i, self)
		}
		if seen[d.Module] {
			return fmt.Errorf("depends[%d]: module %q is listed twice; merge the two into one dependency", i, d.Module)
		}
		seen[d.Module] = true
	}
	return nil
}

// validateScripts checks each script of a release at version, and that no path repeats.
func validateScripts(scripts []Script, version Version) error {
	seen := make(map[string]bool, len(scripts))
	for i, s := range scripts {
		if err := s.validate(version); err != nil {
			return fmt.Errorf("scripts[%d]: %w", i, err)
		}
		if seen[s.Path] {
			return fmt.Errorf("scripts[%d]: path %s is listed twice; each script runs once, remove one", i, Quote(s.Path))
		}
		seen[s.Path] = true
	}
	return nil
}

// Release builds the listing entry for this manifest's version, stored at ref.
func (m *Manifest) Release(ref ArchiveRef, published time.Time) Release {
	r := Release{
		Version:     m.Version,
		Summary:     m.Summary,
		Core:        m.Core,
		Maturity:    m.Maturity,
		Patch:       m.Patch,
		UpdateAll:   m.UpdateAll,
		UpgradeFrom: cloneVersion(m.UpgradeFrom),
		Archive:     ref,
		Published:   published,
		Notes:       m.Notes,
		Advisories:  slices.Clone(m.Advisories),
	}
	for _, d := range m.Depends {
		r.Depends = append(r.Depends, d.clone())
	}
	for _, s := range m.Scripts {
		s.From = cloneVersion(s.From)
		r.Scripts = append(r.Scripts, s)
	}
	return r
}

func cloneVersion(v *Version) *Version {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}

// clone returns d with its own copy of Upper.
func (d Dependency) clone() Dependency {
	if d.Upper != nil {
		b := *d.Upper
		d.Upper = &b
	}
	return d
}
