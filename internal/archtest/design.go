package archtest

import (
	"slices"
	"strings"
)

// governed lists the package trees the rules and guards govern, the
// whole module ("") left out, in the order they are declared.
func governed() []string {
	var out []string
	add := func(trees []string) {
		for _, t := range trees {
			if t != "" && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	for _, r := range rules {
		add(r.from)
	}
	for _, g := range guards {
		add(g.trees)
		add(g.by[:1])
	}
	return out
}

// Unnamed returns the governed trees that doc (docs/DESIGN.md's text)
// does not name in backquotes, so the rules and their design cannot drift apart.
func Unnamed(doc string) []string {
	var out []string
	for _, t := range governed() {
		if !strings.Contains(doc, "`"+t+"`") {
			out = append(out, t)
		}
	}
	return out
}
