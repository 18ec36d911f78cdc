package catalog

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxComponents is the most components a version may have.
const MaxComponents = 8

// maxComponentValue is the largest number one version component may hold.
const maxComponentValue = 999_999_999

// Version is a dotted numeric version such as 2.50.21 or 16.0.1.2.3.
// It is a comparable value; use Compare (not ==) for ordering and equality,
// because 6.0.1 and 6.0.1.0 compare equal.
type Version struct {
	n   [MaxComponents]uint32 // components past len are always zero
	len uint8
}

// Series is the first two components of a version (2.50, 6.0, 16.0).
type Series struct{ Major, Minor uint32 }

// ParseVersion reads a version such as "2.50.21", "16.0.1.2.3" or the
// Openbravo form "2.50MP21" (MP, in any case, separates components like a dot).
func ParseVersion(s string) (Version, error) {
	var v Version
	if s == "" {
		return v, fmt.Errorf(`version "": is empty; write dotted numbers, e.g. "2.50.21"`)
	}
	for i := 0; ; {
		start := i
		for i < len(s) && s[i] != '.' && !isMP(s, i) {
			i++
		}
		if int(v.len) == MaxComponents {
			return Version{}, fmt.Errorf("version %s: has more than %d components; drop the extra ones", Quote(s), MaxComponents)
		}
		n, err := parseComponent(s, s[start:i])
		if err != nil {
			return Version{}, err
		}
		v.n[v.len] = n
		v.len++
		if i == len(s) {
			break
		}
		if s[i] == '.' {
			i++
		} else {
			i += 2
		}
	}
	if v.len < 2 {
		return Version{}, fmt.Errorf(`version %s: needs at least two components (the series), e.g. "%s.0"`, Quote(s), s) // s is one short component here
	}
	return v, nil
}

// isMP reports whether the Openbravo separator "MP" (any case) starts at s[i].
func isMP(s string, i int) bool {
	return i+1 < len(s) && (s[i] == 'M' || s[i] == 'm') && (s[i+1] == 'P' || s[i+1] == 'p')
}

// parseComponent reads one decimal component of version s.
func parseComponent(s, c string) (uint32, error) {
	if c == "" {
		return 0, fmt.Errorf(`version %s: has an empty component; write dotted numbers such as "2.50.21"`, Quote(s))
	}
	var n uint64
	for i := 0; i < len(c); i++ {
		d := c[i]
		if d < '0' || d > '9' {
			return 0, fmt.Errorf("version %s: component %s is not a number; use digits only", Quote(s), Quote(c))
		}
		n = n*10 + uint64(d-'0')
		if n > maxComponentValue {
			return 0, fmt.Errorf("version %s: component %s is larger than %d", Quote(s), Quote(c), maxComponentValue)
		}
	}
	return uint32(n), nil
}

// MustParseVersion is ParseVersion for constants in code and tests; it panics on error.
func MustParseVersion(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

// String returns the canonical dotted decimal form ("2.50MP21" prints as "2.50.21").
// The zero Version prints as "".
func (v Version) String() string {
	var buf [MaxComponents * 11]byte
	b := buf[:0]
	for i := 0; i < int(v.len); i++ {
		if i > 0 {
			b = append(b, '.')
		}
		b = strconv.AppendUint(b, uint64(v.n[i]), 10)
	}
	return string(b)
}

// Compare returns -1, 0 or +1 as v is lower than, equal to or higher than w.
// Missing components count as zero, so 6.0.1 equals 6.0.1.0.
func (v Version) Compare(w Version) int {
	for i := range v.n {
		switch {
		case v.n[i] < w.n[i]:
			return -1
		case v.n[i] > w.n[i]:
			return 1
		}
	}
	return 0
}

// Less reports whether v is lower than w.
func (v Version) Less(w Version) bool { return v.Compare(w) < 0 }

// Equal reports whether v and w compare equal (6.0.1 equals 6.0.1.0).
func (v Version) Equal(w Version) bool { return v.Compare(w) == 0 }

// IsZero reports whether v is the zero Version, i.e. no version at all.
func (v Version) IsZero() bool { return v.len == 0 }

// Len returns the number of components v was written with.
func (v Version) Len() int { return int(v.len) }

// Component returns component i (counting from 0), or 0 when v has no such component.
func (v Version) Component(i int) uint32 {
	if i < 0 || i >= int(v.len) {
		return 0
	}
	return v.n[i]
}

// Series returns v's first two components.
func (v Version) Series() Series { return Series{Major: v.n[0], Minor: v.n[1]} }

// Append returns v with one more component n.
func (v Version) Append(n uint32) (Version, error) {
	if int(v.len) >= MaxComponents {
		return v, fmt.Errorf("version %s: cannot append a component: it already has the maximum of %d", v, MaxComponents)
	}
	if n > maxComponentValue {
		return v, fmt.Errorf("version %s: cannot append component %d: the largest allowed is %d", v, n, maxComponentValue)
	}
	v.n[v.len] = n
	v.len++
	return v, nil
}

// WithLast returns v with its last component replaced by n (capped at 999999999).
// The zero Version is returned unchanged.
func (v Version) WithLast(n uint32) Version {
	if v.len == 0 {
		return v
	}
	v.n[v.len-1] = min(n, maxComponentValue)
	return v
}

// SortKey returns a fixed-width string that sorts byte-wise exactly like
// Compare: versions that compare equal share a key.
func (v Version) SortKey() string {
	var buf [MaxComponents * 11]byte
	b := buf[:0]
	for i, n := range v.n {
		if i > 0 {
			b = append(b, '.')
		}
		var d [10]byte
		for j := len(d) - 1; j >= 0; j-- {
			d[j] = byte('0' + n%10)
			n /= 10
		}
		b = append(b, d[:]...)
	}
	return string(b)
}

// MarshalText writes the canonical form; the zero Version writes as empty text.
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText parses a version; empty text gives the zero Version.
func (v *Version) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*v = Version{}
		return nil
	}
	p, err := ParseVersion(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// ParseSeries reads a series such as "2.50" (exactly two components).
func ParseSeries(s string) (Series, error) {
	v, err := ParseVersion(s)
	if err != nil {
		return Series{}, err
	}
	if v.len != 2 {
		return Series{}, fmt.Errorf(`series %s: needs exactly two components, e.g. "%s"`, Quote(s), v.Series())
	}
	return v.Series(), nil
}

// String returns the series as "Major.Minor".
func (s Series) String() string {
	return strconv.FormatUint(uint64(s.Major), 10) + "." + strconv.FormatUint(uint64(s.Minor), 10)
}

// Compare returns -1, 0 or +1 as s is lower than, equal to or higher than t.
func (s Series) Compare(t Series) int { return s.First().Compare(t.First()) }

// First returns the series' first version, Major.Minor (two components).
func (s Series) First() Version {
	return Version{n: [MaxComponents]uint32{s.Major, s.Minor}, len: 2}
}

// MarshalText writes the series as "Major.Minor".
func (s Series) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses a series such as "2.50".
func (s *Series) UnmarshalText(b []byte) error {
	p, err := ParseSeries(string(b))
	if err != nil {
		return err
	}
	*s = p
	return nil
}

// ChangeKind tells how far apart two versions are.
type ChangeKind int

// The change kinds, from the smallest change to the largest.
const (
	KindNone    ChangeKind = iota // same version (or a downgrade)
	KindPatch                     // only components after the third differ, or the release is marked patch
	KindUpdate                    // the third component differs
	KindUpgrade                   // the series differs
	KindNew                       // the module is not installed
)

var kindNames = []string{"none", "patch", "update", "upgrade", "new"}

// Classify tells what kind of change going from version from to version to is.
func Classify(from, to Version) ChangeKind {
	switch {
	case to.Compare(from) <= 0:
		return KindNone
	case to.Series() != from.Series():
		return KindUpgrade
	case to.n[2] != from.n[2]:
		return KindUpdate
	default:
		return KindPatch
	}
}

// ClassifyRelease is Classify for a release: a release marked patch that
// would be an update counts as a patch (an upgrade stays an upgrade).
func ClassifyRelease(from Version, to Release) ChangeKind {
	k := Classify(from, to.Version)
	if k == KindUpdate && to.Patch {
		return KindPatch
	}
	return k
}

// ClassifyModule is the change-kind rule for a module that is not the
// core. Going from version from to release to is:
//   - an upgrade when the module's own major version (its first component)
//     changes, or when coreChanged (the release needs another core series
//     than the installed version);
//   - else an update when the second or third component changes (a patch
//     when the release is marked patch);
//   - else a patch (only later components differ).
//
// An ERP that prefixes module versions with its series (Odoo's 17.0.1.2.3)
// strips the prefix before calling it.
func ClassifyModule(from Version, to Release, coreChanged bool) ChangeKind {
	switch {
	case to.Version.Compare(from) <= 0:
		return KindNone
	case coreChanged || to.Version.n[0] != from.n[0]:
		return KindUpgrade
	case to.Version.n[1] != from.n[1] || to.Version.n[2] != from.n[2]:
		if to.Patch {
			return KindPatch
		}
		return KindUpdate
	}
	return KindPatch
}

// String returns "none", "patch", "update", "upgrade" or "new".
func (k ChangeKind) String() string { return enumString("ChangeKind", kindNames, int(k)) }

// MarshalText writes the kind's name.
func (k ChangeKind) MarshalText() ([]byte, error) {
	return enumMarshal("change kind", kindNames, int(k))
}

// UnmarshalText parses a kind's name.
func (k *ChangeKind) UnmarshalText(b []byte) error {
	i, err := enumParse("change kind", kindNames, string(b))
	if err != nil {
		return err
	}
	*k = ChangeKind(i)
	return nil
}

// Maturity is a release's quality level.
type Maturity int

// Maturity levels, lowest first.
const (
	MaturityTest Maturity = iota
	MaturityAlpha
	MaturityBeta
	MaturityQAApproved
	MaturityConfirmedStable
)

var maturityNames = []string{"test", "alpha", "beta", "qa-approved", "confirmed-stable"}

// ParseMaturity reads a maturity name such as "beta" or "confirmed-stable" (any case).
func ParseMaturity(s string) (Maturity, error) {
	i, err := enumParse("maturity", maturityNames, s)
	return Maturity(i), err
}

// String returns the maturity's name.
func (m Maturity) String() string { return enumString("Maturity", maturityNames, int(m)) }

// MarshalText writes the maturity's name.
func (m Maturity) MarshalText() ([]byte, error) {
	return enumMarshal("maturity", maturityNames, int(m))
}

// UnmarshalText parses a maturity name.
func (m *Maturity) UnmarshalText(b []byte) error {
	p, err := ParseMaturity(string(b))
	if err != nil {
		return err
	}
	*m = p
	return nil
}

func (m Maturity) valid() bool { return m >= 0 && int(m) < len(maturityNames) }

// enumString names value i, or writes typ(i) when it is out of range.
func enumString(typ string, names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return typ + "(" + strconv.Itoa(i) + ")"
}

// enumMarshal names value i, or fails when it is out of range.
func enumMarshal(what string, names []string, i int) ([]byte, error) {
	if i >= 0 && i < len(names) {
		return []byte(names[i]), nil
	}
	return nil, fmt.Errorf("%s %d is not defined; use one of %s", what, i, strings.Join(names, ", "))
}

// enumParse finds s (case-insensitively) in names.
func enumParse(what string, names []string, s string) (int, error) {
	for i, n := range names {
		if strings.EqualFold(n, s) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%s %s is not known; use one of %s", what, Quote(s), strings.Join(names, ", "))
}
