package catalog

import (
	"errors"
	"fmt"
	"strings"
)

// dependencySyntax describes the compact dependency form for error messages.
const dependencySyntax = `write it as "module>=first[,<below|,<=last][ major|minor|none][ editable]" or "module=major.minor.*", e.g. "core>=2.50.21"`

// ParseDependency reads the compact form of a dependency:
//
//	core>=2.50.21                 First 2.50.21, enforcement major (the default)
//	core>=2.50.21,<3.1            an exclusive upper bound; enforcement none
//	core>=2.50.21,<=2.50.30       an inclusive upper bound; enforcement none
//	core>=2.50.21 minor           an explicit enforcement word
//	core>=2.50.21,<3.1 major      both a bound and an enforcement
//	core>=2.50.21 minor editable  user-editable
//	core=2.50.*                   First 2.50, enforcement major
//
// Whitespace around the operators is allowed.
func ParseDependency(s string) (Dependency, error) {
	d, err := parseDependency(strings.TrimSpace(s))
	if err == nil {
		err = d.validate()
	}
	if err != nil {
		return Dependency{}, fmt.Errorf("dependency %s: %w", Quote(s), err)
	}
	return d, nil
}

// depScanner walks the compact dependency form.
type depScanner struct {
	s string
	i int
}

func (sc *depScanner) skipSpace() {
	for sc.i < len(sc.s) && (sc.s[sc.i] == ' ' || sc.s[sc.i] == '\t') {
		sc.i++
	}
}

// accept consumes tok if it comes next.
func (sc *depScanner) accept(tok string) bool {
	if strings.HasPrefix(sc.s[sc.i:], tok) {
		sc.i += len(tok)
		return true
	}
	return false
}

// token returns the run of bytes up to the next space, comma or operator.
func (sc *depScanner) token() string {
	start := sc.i
	for sc.i < len(sc.s) && !strings.ContainsRune(" \t,<>=", rune(sc.s[sc.i])) {
		sc.i++
	}
	return sc.s[start:sc.i]
}

func parseDependency(s string) (Dependency, error) {
	sc := &depScanner{s: s}
	var d Dependency
	d.Module = sc.token()
	if d.Module == "" {
		return d, errors.New("the module name is missing; " + dependencySyntax)
	}
	if err := ValidateModuleName(d.Module); err != nil {
		return d, err
	}
	var err error
	if d.First, err = parseLowerBound(sc); err != nil {
		return d, err
	}
	afterFirst := sc.i
	sc.skipSpace()
	if sc.accept(",") {
		if d.Upper, err = parseUpperBound(sc); err != nil {
			return d, err
		}
	} else {
		sc.i = afterFirst // the space before the words
	}
	if sc.i < len(sc.s) && sc.s[sc.i] != ' ' && sc.s[sc.i] != '\t' {
		return d, fmt.Errorf("unexpected %s after the versions; %s", Quote(sc.s[sc.i:]), dependencySyntax)
	}
	d.Enforcement = d.defaultEnforcement()
	return d, parseDependencyWords(&d, sc.s[sc.i:])
}

// parseLowerBound reads ">=version" or "=major.minor.*".
func parseLowerBound(sc *depScanner) (Version, error) {
	sc.skipSpace()
	switch {
	case sc.accept(">="):
		sc.skipSpace()
		return ParseVersion(sc.token())
	case sc.accept("="):
		sc.skipSpace()
		tok := sc.token()
		series, ok := strings.CutSuffix(tok, ".*")
		if !ok {
			return Version{}, fmt.Errorf(`=%s: "=" takes a series followed by ".*", e.g. "=2.50.*"; for a lowest version write ">=VERSION"`, Quote(tok))
		}
		s, err := ParseSeries(series)
		return s.First(), err
	}
	return Version{}, errors.New(`after the module name, expected ">=" or "="; ` + dependencySyntax)
}

// parseUpperBound reads "<version" or "<=version" after the comma.
func parseUpperBound(sc *depScanner) (*Bound, error) {
	sc.skipSpace()
	b := &Bound{}
	switch {
	case sc.accept("<="):
		b.Inclusive = true
	case sc.accept("<"):
	default:
		return nil, errors.New(`after ",", expected "<" or "<=" and an upper version, e.g. ",<3.1"`)
	}
	sc.skipSpace()
	v, err := ParseVersion(sc.token())
	b.Version = v
	return b, err
}

// parseDependencyWords reads the optional enforcement word and "editable".
func parseDependencyWords(d *Dependency, rest string) error {
	var seenEnforcement bool
	for _, w := range strings.Fields(rest) {
		if e, err := ParseEnforcement(w); err == nil && !seenEnforcement && !d.UserEditable {
			d.Enforcement, seenEnforcement = e, true
			continue
		}
		if strings.EqualFold(w, "editable") && !d.UserEditable {
			d.UserEditable = true
			continue
		}
		return fmt.Errorf(`unexpected word %s: after the versions only one of major, minor or none, then "editable", may follow`, Quote(w))
	}
	return nil
}
