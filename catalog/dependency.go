package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Enforcement bounds a dependency when no explicit cap is given.
type Enforcement int

// Enforcement levels.
const (
	EnforceMajor Enforcement = iota // any version of First's series (the default)
	EnforceMinor                    // same series and same third component as First
	EnforceNone                     // no implicit upper bound
)

var enforcementNames = []string{"major", "minor", "none"}

// ParseEnforcement reads "major", "minor" or "none" (any case).
func ParseEnforcement(s string) (Enforcement, error) {
	i, err := enumParse("enforcement", enforcementNames, s)
	return Enforcement(i), err
}

// String returns the enforcement's name.
func (e Enforcement) String() string { return enumString("Enforcement", enforcementNames, int(e)) }

// MarshalText writes the enforcement's name.
func (e Enforcement) MarshalText() ([]byte, error) {
	return enumMarshal("enforcement", enforcementNames, int(e))
}

// UnmarshalText parses an enforcement name.
func (e *Enforcement) UnmarshalText(b []byte) error {
	p, err := ParseEnforcement(string(b))
	if err != nil {
		return err
	}
	*e = p
	return nil
}

func (e Enforcement) valid() bool { return e >= 0 && int(e) < len(enforcementNames) }

// Bound is an explicit upper bound of a dependency.
type Bound struct {
	Version   Version
	Inclusive bool // true: "last" (<=); false: "below" (<)
}

// Dependency says which versions of another module a release accepts.
type Dependency struct {
	Module       string
	First        Version
	Upper        *Bound // optional explicit cap; combines with Enforcement (both apply)
	Enforcement  Enforcement
	UserEditable bool
}

// Range is the interval of versions a dependency allows: [Lo, Hi) or [Lo, Hi].
type Range struct {
	Lo          Version
	Hi          Version // meaningless when Unbounded
	HiInclusive bool
	Unbounded   bool
}

// Contains reports whether v lies in r.
func (r Range) Contains(v Version) bool {
	if v.Compare(r.Lo) < 0 {
		return false
	}
	if r.Unbounded {
		return true
	}
	c := v.Compare(r.Hi)
	return c < 0 || (c == 0 && r.HiInclusive)
}

// String writes r in the dependency notation: ">=2.50.21,<2.51", ">=1.0,<=1.0.9" or ">=1.0".
func (r Range) String() string {
	switch {
	case r.Unbounded:
		return ">=" + r.Lo.String()
	case r.HiInclusive:
		return ">=" + r.Lo.String() + ",<=" + r.Hi.String()
	default:
		return ">=" + r.Lo.String() + ",<" + r.Hi.String()
	}
}

// isEmpty reports whether no version lies in r.
func (r Range) isEmpty() bool {
	if r.Unbounded {
		return false
	}
	c := r.Hi.Compare(r.Lo)
	return c < 0 || (c == 0 && !r.HiInclusive)
}

// includes reports whether every version in o also lies in r.
func (r Range) includes(o Range) bool {
	switch {
	case o.isEmpty():
		return true
	case r.Lo.Compare(o.Lo) > 0:
		return false
	case r.Unbounded:
		return true
	case o.Unbounded:
		return false
	}
	c := r.Hi.Compare(o.Hi)
	return c > 0 || (c == 0 && (r.HiInclusive || !o.HiInclusive))
}

// Range returns the interval of versions d allows: from First up to the bound
// its enforcement implies, further capped by Upper when set.
func (d Dependency) Range() Range {
	r := Range{Lo: d.First}
	s := d.First.Series()
	switch d.Enforcement {
	case EnforceNone:
		r.Unbounded = true
	case EnforceMinor:
		r.Hi = Version{n: [MaxComponents]uint32{s.Major, s.Minor, d.First.n[2] + 1}, len: 3}
	default:
		r.Hi = Series{s.Major, s.Minor + 1}.First()
	}
	if d.Upper == nil {
		return r
	}
	b := *d.Upper
	if r.Unbounded {
		return Range{Lo: r.Lo, Hi: b.Version, HiInclusive: b.Inclusive}
	}
	switch c := b.Version.Compare(r.Hi); {
	case c < 0:
		r.Hi, r.HiInclusive = b.Version, b.Inclusive
	case c == 0:
		r.HiInclusive = r.HiInclusive && b.Inclusive
	}
	return r
}

// Allows reports whether version v of d.Module satisfies d.
func (d Dependency) Allows(v Version) bool { return d.Range().Contains(v) }

// Covers reports whether d is on the same module as old and allows every
// version old allows.
func (d Dependency) Covers(old Dependency) bool {
	return d.Module == old.Module && d.Range().includes(old.Range())
}

// defaultEnforcement is the enforcement the compact and table forms imply.
func (d Dependency) defaultEnforcement() Enforcement {
	if d.Upper != nil {
		return EnforceNone
	}
	return EnforceMajor
}

// String writes d in the compact form ParseDependency reads:
// name>=first[,<=last|,<below][ enforcement][ editable].
func (d Dependency) String() string {
	var b strings.Builder
	b.WriteString(d.Module)
	b.WriteString(">=")
	b.WriteString(d.First.String())
	if d.Upper != nil {
		if d.Upper.Inclusive {
			b.WriteString(",<=")
		} else {
			b.WriteString(",<")
		}
		b.WriteString(d.Upper.Version.String())
	}
	if d.Enforcement != d.defaultEnforcement() {
		b.WriteString(" " + d.Enforcement.String())
	}
	if d.UserEditable {
		b.WriteString(" editable")
	}
	return b.String()
}

// validate checks d on its own; the message leaves naming d to the caller.
func (d Dependency) validate() error {
	if err := ValidateModuleName(d.Module); err != nil {
		return err
	}
	if d.First.IsZero() {
		return errors.New(`first version is missing; give the lowest version that works, e.g. "2.50.0"`)
	}
	if !d.Enforcement.valid() {
		return fmt.Errorf("enforcement %d is not defined; use major, minor or none", int(d.Enforcement))
	}
	if d.Upper == nil {
		return nil
	}
	if d.Upper.Version.IsZero() {
		return errors.New("upper bound has no version; give one or drop the bound")
	}
	if d.Range().isEmpty() {
		return fmt.Errorf("upper bound %s is not above first version %s, so no version fits; raise the bound or lower first",
			d.Upper.opString(), d.First)
	}
	return nil
}

func (b Bound) opString() string {
	if b.Inclusive {
		return "<=" + b.Version.String()
	}
	return "<" + b.Version.String()
}

// ValidateModuleName checks that name is a valid module name: lowercase
// letters, digits, '_', '-' and '.', starting with a letter or digit, at most
// 128 characters, not ending in '.' and without "..".
func ValidateModuleName(name string) error {
	switch {
	case name == "":
		return errors.New(`module name is empty; use lowercase letters, digits, "_", "-" and ".", e.g. "arp"`)
	case len(name) > 128:
		return fmt.Errorf("module name %.20q...: is %d characters long; the limit is 128", name, len(name))
	case name != strings.ToLower(name):
		return fmt.Errorf("module name %q: must be lowercase; write %q", name, strings.ToLower(name))
	case !isAlnum(name[0]):
		return fmt.Errorf("module name %q: must start with a lowercase letter or a digit", name)
	case strings.HasSuffix(name, "."), strings.Contains(name, ".."):
		return fmt.Errorf(`module name %q: must not end with "." or contain ".."`, name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return fmt.Errorf(`module name %q: character %q is not allowed; use lowercase letters, digits, "_", "-" and "."`, name, rune(c))
		}
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// CheckWidening reports an error unless going from the dependencies old to
// new only widens them: every new dependency must cover the old one on the
// same module (a dropped dependency is fine), no dependency may be added,
// and a user-editable dependency must stay user-editable.
func CheckWidening(old, new []Dependency) error {
	var errs []error
	for _, n := range new {
		found := false
		for _, o := range old {
			if o.Module != n.Module {
				continue
			}
			found = true
			if !n.Covers(o) {
				errs = append(errs, fmt.Errorf("dependency on %q: the new range %s does not include all of the old range %s; extend may only widen dependencies: keep every version the old range allows",
					n.Module, n.Range(), o.Range()))
			}
			if o.UserEditable && !n.UserEditable {
				errs = append(errs, fmt.Errorf("dependency on %q (old range %s, new range %s): is no longer user-editable; extend may only widen dependencies: keep it editable",
					n.Module, o.Range(), n.Range()))
			}
		}
		if !found {
			errs = append(errs, fmt.Errorf("dependency on %q: is new (new range %s, old range: none); extend may only widen dependencies: drop it, or publish a new version that adds it",
				n.Module, n.Range()))
		}
	}
	return errors.Join(errs...)
}

// dependencyJSON is the JSON form of a Dependency.
type dependencyJSON struct {
	Module       string       `json:"module"`
	First        Version      `json:"first"`
	Last         *Version     `json:"last,omitempty"`
	Below        *Version     `json:"below,omitempty"`
	Enforcement  *Enforcement `json:"enforcement,omitempty"`
	UserEditable bool         `json:"user_editable,omitempty"`
}

// MarshalJSON writes {"module", "first", "last" or "below", "enforcement", "user_editable"}.
func (d Dependency) MarshalJSON() ([]byte, error) {
	e := d.Enforcement
	j := dependencyJSON{Module: d.Module, First: d.First, Enforcement: &e, UserEditable: d.UserEditable}
	if d.Upper != nil {
		v := d.Upper.Version
		if d.Upper.Inclusive {
			j.Last = &v
		} else {
			j.Below = &v
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the form MarshalJSON writes; enforcement defaults to
// major, or to none when "last" or "below" is given.
func (d *Dependency) UnmarshalJSON(data []byte) error {
	var j dependencyJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	upper, err := upperBound(j.Last, j.Below)
	if err != nil {
		return fmt.Errorf("dependency on %q: %w", j.Module, err)
	}
	*d = Dependency{Module: j.Module, First: j.First, Upper: upper, UserEditable: j.UserEditable}
	d.Enforcement = d.defaultEnforcement()
	if j.Enforcement != nil {
		d.Enforcement = *j.Enforcement
	}
	return nil
}

// upperBound turns the optional "last" and "below" fields into a Bound.
func upperBound(last, below *Version) (*Bound, error) {
	switch {
	case last != nil && below != nil:
		return nil, errors.New(`has both "last" and "below"; keep one: last is inclusive (<=), below exclusive (<)`)
	case last != nil:
		return &Bound{Version: *last, Inclusive: true}, nil
	case below != nil:
		return &Bound{Version: *below}, nil
	}
	return nil, nil
}
