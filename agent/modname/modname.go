// Package modname checks the module names an admin types against the installed modules and what the subscribed repositories offer, and suggests the closest names.
package modname

import (
	"fmt"
	"slices"
	"strings"
)

// Want is what a command needs of a name.
type Want int

// What a name must be.
const (
	// Any: installed, or offered by a subscribed repository (hold, unhold,
	// override, notes).
	Any Want = iota
	// Installed: an installed module (--include-upgrades, disable, relax).
	Installed
	// Offered: a module a subscribed repository offers (--install).
	Offered
)

// Known are the names an admin may type.
type Known struct {
	Installed []string
	// Offered are the modules the subscribed repositories publish; nil
	// when they could not be read, and then a name is not refused for
	// being absent from them.
	Offered []string
	// Others are names known otherwise (held, disabled by Upkeep…): a name
	// among them is accepted by Any and suggested.
	Others []string
}

// UnknownError is a name that is not what the command needs, with the
// closest known names.
type UnknownError struct {
	Name    string
	Want    Want
	Suggest []string // closest first; empty when none is close
}

func (e *UnknownError) Error() string {
	var s string
	switch e.Want {
	case Installed:
		s = fmt.Sprintf("no installed module is named %q", e.Name)
	case Offered:
		s = fmt.Sprintf("no subscribed repository offers a module named %q", e.Name)
	default:
		s = fmt.Sprintf("no module named %q is installed or offered by the subscribed repositories", e.Name)
	}
	if len(e.Suggest) > 0 {
		return s + "; did you mean " + orList(e.Suggest) + "?"
	}
	return s + "; check the spelling (upkeep installed lists the installed modules, upkeep scan what the repositories offer)"
}

// Errors are several unknown names, each with its suggestions (one line
// each).
type Errors []*UnknownError

func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Check returns nil when every name is what want needs, else the unknown
// ones: an *UnknownError for one, Errors for several.
func (k Known) Check(want Want, names ...string) error {
	ns := make([]Named, len(names))
	for i, n := range names {
		ns[i] = Named{want, n}
	}
	return k.CheckAll(ns...)
}

// Named is a name typed and what the command needs of it.
type Named struct {
	Want Want
	Name string
}

// CheckAll is Check for names that need different things; a name is
// reported once.
func (k Known) CheckAll(names ...Named) error {
	var bad Errors
	for _, n := range names {
		if k.fits(n.Want, n.Name) || slices.ContainsFunc(bad, func(e *UnknownError) bool { return e.Name == n.Name }) {
			continue
		}
		bad = append(bad, &UnknownError{Name: n.Name, Want: n.Want, Suggest: Suggest(n.Name, k.pool(n.Want))})
	}
	switch len(bad) {
	case 0:
		return nil
	case 1:
		return bad[0]
	}
	return bad
}

// Fits reports whether every name is what it must be.
func (k Known) Fits(names ...Named) bool {
	for _, n := range names {
		if !k.fits(n.Want, n.Name) {
			return false
		}
	}
	return true
}

func (k Known) fits(want Want, name string) bool {
	switch want {
	case Installed:
		return slices.Contains(k.Installed, name)
	case Offered:
		return k.Offered == nil || slices.Contains(k.Offered, name)
	}
	return k.Offered == nil || slices.Contains(k.Installed, name) || slices.Contains(k.Others, name) || slices.Contains(k.Offered, name)
}

// pool is the names suggested for want.
func (k Known) pool(want Want) []string {
	switch want {
	case Installed:
		return k.Installed
	case Offered:
		return k.Offered
	}
	return slices.Concat(k.Installed, k.Others, k.Offered)
}

// maxSuggestions is how many names Suggest returns at most.
const maxSuggestions = 3

// Suggest returns the known names closest to name: those within an edit
// distance (insertions, deletions, substitutions and swaps of neighbours,
// ignoring case) of a third of its length (at least 1, at most 3), and those
// it begins when it is 3 letters or more; closest first, then by name.
func Suggest(name string, known []string) []string {
	limit := min(max(len([]rune(name))/3, 1), 3)
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	seen := map[string]bool{}
	lower := strings.ToLower(name)
	for _, k := range known {
		if seen[k] || k == name {
			continue
		}
		seen[k] = true
		d := Distance(lower, strings.ToLower(k))
		if d > limit && len(lower) >= 3 && strings.HasPrefix(strings.ToLower(k), lower) {
			d = limit // a prefix of the name: as close as the farthest typo
		}
		if d <= limit {
			cs = append(cs, cand{k, d})
		}
	}
	slices.SortFunc(cs, func(a, b cand) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]string, 0, min(len(cs), maxSuggestions))
	for _, c := range cs[:min(len(cs), maxSuggestions)] {
		out = append(out, c.name)
	}
	return out
}

// Distance is the optimal string alignment distance between a and b: the
// fewest insertions, deletions, substitutions and swaps of two neighbouring
// letters that turn one into the other.
func Distance(a, b string) int {
	s, t := []rune(a), []rune(b)
	prev2 := make([]int, len(t)+1)
	prev := make([]int, len(t)+1)
	cur := make([]int, len(t)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(s); i++ {
		cur[0] = i
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(t)]
}

// orList joins names as "a", "a or b", "a, b or c".
func orList(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
