package catalog

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Caps on what a release may say about itself.
const (
	MaxNotes         = 64 << 10 // bytes of release notes (Markdown)
	MaxAdvisories    = 50       // advisories on one release
	maxAdvisoryID    = 64
	maxAdvisoryTitle = 200
	maxAdvisoryURL   = 500
	maxAffects       = 200
)

// Severity ranks an advisory; a higher value is more severe.
type Severity int

// Severities, from the least to the most severe.
const (
	SeverityLow Severity = iota
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = []string{"low", "medium", "high", "critical"}

// ParseSeverity reads "low", "medium", "high" or "critical" (any case).
func ParseSeverity(s string) (Severity, error) {
	i, err := enumParse("severity", severityNames, s)
	return Severity(i), err
}

// String returns the severity's name.
func (s Severity) String() string { return enumString("Severity", severityNames, int(s)) }

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) {
	return enumMarshal("severity", severityNames, int(s))
}

// UnmarshalText parses a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	p, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = p
	return nil
}

func (s Severity) valid() bool { return s >= 0 && int(s) < len(severityNames) }

// Advisory is a known security hole: the versions it affects and what it is.
type Advisory struct {
	ID       string     `json:"id"` // a CVE id or the vendor's own
	Severity Severity   `json:"severity"`
	Title    string     `json:"title"`
	URL      string     `json:"url,omitempty"`
	Affects  Constraint `json:"affects"`
}

// Validate checks every field; the error names the field and says how to fix it.
func (a Advisory) Validate() error {
	if err := checkAdvisoryID(a.ID); err != nil {
		return fmt.Errorf("id: %w", err)
	}
	if !a.Severity.valid() {
		return fmt.Errorf("severity %d is not defined; use one of %s", int(a.Severity), strings.Join(severityNames, ", "))
	}
	if err := checkLine(a.Title, maxAdvisoryTitle); err != nil {
		return fmt.Errorf("title: %w", err)
	}
	if a.Title == "" {
		return errors.New(`title is missing; say in one line what the hole is, e.g. title = "Stored XSS in report titles"`)
	}
	if err := checkAdvisoryURL(a.URL); err != nil {
		return fmt.Errorf("url: %w", err)
	}
	if a.Affects.IsZero() {
		return errors.New(`affects is missing; give the versions it affects, e.g. affects = "<0.9.1"`)
	}
	return nil
}

func checkAdvisoryID(id string) error {
	switch {
	case id == "":
		return errors.New(`is missing; give a CVE id or your own, e.g. id = "CVE-2026-1234"`)
	case len(id) > maxAdvisoryID:
		return fmt.Errorf("%s is longer than %d characters; shorten it", Quote(id), maxAdvisoryID)
	}
	for _, r := range id {
		if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-._:", r))) {
			return fmt.Errorf("%s may hold only letters, digits and the signs - . _ : (no spaces)", Quote(id))
		}
	}
	return nil
}

// checkLine checks a one-line text of at most max characters.
func checkLine(s string, max int) error {
	switch {
	case !utf8.ValidString(s):
		return errors.New("is not valid UTF-8; save the file as UTF-8")
	case utf8.RuneCountInString(s) > max:
		return fmt.Errorf("is %d characters long; shorten it to at most %d", utf8.RuneCountInString(s), max)
	case strings.ContainsAny(s, "\r\n"):
		return errors.New("spans several lines; write it as a single line")
	case strings.ContainsFunc(s, unicode.IsControl):
		return errors.New("contains a control character; write plain text")
	}
	return nil
}

func checkAdvisoryURL(s string) error {
	if s == "" {
		return nil
	}
	if err := checkLine(s, maxAdvisoryURL); err != nil {
		return err
	}
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(s, "http://")
	}
	host, _, _ := strings.Cut(rest, "/")
	if !ok || host == "" || strings.ContainsAny(s, " <>\"\\") {
		return fmt.Errorf("%s is not a web address; write it as https://…", Quote(s))
	}
	return nil
}

// CheckNotes checks release notes: Markdown kept as text, at most MaxNotes
// bytes of UTF-8 with no control characters other than tabs and line breaks.
func CheckNotes(s string) error {
	switch {
	case len(s) > MaxNotes:
		return fmt.Errorf("are %d bytes; the limit is %d: shorten them or link to the full text", len(s), MaxNotes)
	case !utf8.ValidString(s):
		return errors.New("are not valid UTF-8; save them as UTF-8")
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' }):
		return errors.New("contain a control character (only tabs and line breaks may appear); write plain Markdown")
	}
	return nil
}

// validateAdvisories checks each advisory and that no id repeats.
func validateAdvisories(advs []Advisory) error {
	if len(advs) > MaxAdvisories {
		return fmt.Errorf("advisories: %d of them; the limit is %d on one release", len(advs), MaxAdvisories)
	}
	seen := make(map[string]bool, len(advs))
	for i, a := range advs {
		if err := a.Validate(); err != nil {
			return fmt.Errorf("advisories[%d]: %w", i, err)
		}
		if seen[a.ID] {
			return fmt.Errorf("advisories[%d]: id %s is listed twice; keep one", i, Quote(a.ID))
		}
		seen[a.ID] = true
	}
	return nil
}

// Fixes reports whether moving from installed to target closes the hole:
// the advisory affects installed and not target.
func (a Advisory) Fixes(installed, target Version) bool {
	return a.Affects.Contains(installed) && !a.Affects.Contains(target)
}
