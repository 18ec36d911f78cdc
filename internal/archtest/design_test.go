package archtest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestUnnamed(t *testing.T) {
	all := governed()
	if !slices.Contains(all, "agent/scan") || !slices.Contains(all, "demoerp") || !slices.Contains(all, "agent/host") {
		t.Fatalf("governed() = %v, want agent/scan, demoerp and agent/host among them", all)
	}
	for _, tc := range []struct {
		doc  string
		want []string
	}{
		{"", all},
		{"`agent/scan` is pure; agent/host builds", slices.DeleteFunc(slices.Clone(all), func(s string) bool { return s == "agent/scan" })},
	} {
		if got := Unnamed(tc.doc); !slices.Equal(got, tc.want) {
			t.Errorf("Unnamed(%q) = %v, want %v", tc.doc, got, tc.want)
		}
	}
	var doc string
	for _, tr := range all {
		doc += " `" + tr + "`"
	}
	if got := Unnamed(doc); len(got) != 0 {
		t.Errorf("Unnamed(every tree) = %v, want none", got)
	}
}

// TestDesignNamesTheRules: docs/DESIGN.md names every package tree the
// import rules and guards govern.
func TestDesignNamesTheRules(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "DESIGN.md"))
	if err != nil {
		t.Fatal(err)
	}
	if missing := Unnamed(string(doc)); len(missing) > 0 {
		t.Errorf("docs/DESIGN.md does not name %v, which the import rules govern: describe them in its Layers or One place section", missing)
	}
}
