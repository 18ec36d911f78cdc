package catalog

import (
	"errors"
	"fmt"
	"strings"
)

// constraintSyntax describes a version constraint for error messages.
const constraintSyntax = `write comparisons joined by commas, e.g. "<0.9.1" or ">=1.2.0,<1.2.4" (operators >=, >, <=, <, =)`

// constraintOps are the comparison operators, longest first so that ">=" is
// not read as ">".
var constraintOps = []string{">=", "<=", ">", "<", "="}

// constraintTerm is one comparison: the version compared against.
type constraintTerm struct {
	Op      string
	Version Version
}

func (t constraintTerm) allows(v Version) bool {
	c := v.Compare(t.Version)
	switch t.Op {
	case ">=":
		return c >= 0
	case ">":
		return c > 0
	case "<=":
		return c <= 0
	case "<":
		return c < 0
	}
	return c == 0
}

// Constraint is a set of versions written in the manifest's syntax: one or
// more comparisons joined by commas, all of which must hold ("<0.9.1",
// ">=1.2.0,<1.2.4"). The zero Constraint holds no comparison.
type Constraint struct {
	terms []constraintTerm
}

// ParseConstraint reads a constraint such as ">=1.2.0,<1.2.4".
func ParseConstraint(s string) (Constraint, error) {
	c, err := parseConstraint(s)
	if err != nil {
		return Constraint{}, fmt.Errorf("constraint %s: %w", Quote(s), err)
	}
	return c, nil
}

func parseConstraint(s string) (Constraint, error) {
	if len(s) > maxAffects {
		return Constraint{}, fmt.Errorf("is longer than %d characters; shorten it", maxAffects)
	}
	if strings.TrimSpace(s) == "" {
		return Constraint{}, errors.New("is empty; " + constraintSyntax)
	}
	var c Constraint
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		op := ""
		for _, o := range constraintOps {
			if strings.HasPrefix(part, o) {
				op = o
				break
			}
		}
		if op == "" {
			return Constraint{}, fmt.Errorf("%s has no comparison operator; %s", Quote(part), constraintSyntax)
		}
		v, err := ParseVersion(strings.TrimSpace(part[len(op):]))
		if err != nil {
			return Constraint{}, err
		}
		c.terms = append(c.terms, constraintTerm{Op: op, Version: v})
	}
	return c, nil
}

// MustParseConstraint is ParseConstraint for constants; it panics on error.
func MustParseConstraint(s string) Constraint {
	c, err := ParseConstraint(s)
	if err != nil {
		panic(err)
	}
	return c
}

// IsZero reports whether c holds no comparison.
func (c Constraint) IsZero() bool { return len(c.terms) == 0 }

// Contains reports whether v satisfies every comparison of c; the zero
// Constraint contains nothing.
func (c Constraint) Contains(v Version) bool {
	if c.IsZero() {
		return false
	}
	for _, t := range c.terms {
		if !t.allows(v) {
			return false
		}
	}
	return true
}

// String writes c in its canonical form, e.g. ">=1.2.0,<1.2.4".
func (c Constraint) String() string {
	parts := make([]string, len(c.terms))
	for i, t := range c.terms {
		parts[i] = t.Op + t.Version.String()
	}
	return strings.Join(parts, ",")
}

// MarshalText writes c's canonical form; the zero Constraint cannot be written.
func (c Constraint) MarshalText() ([]byte, error) {
	if c.IsZero() {
		return nil, errors.New("constraint is empty")
	}
	return []byte(c.String()), nil
}

// UnmarshalText parses a constraint.
func (c *Constraint) UnmarshalText(b []byte) error {
	p, err := ParseConstraint(string(b))
	if err != nil {
		return err
	}
	*c = p
	return nil
}
