package archtest

import "testing"

// TestModuleImports fails on every import of the module's packages that
// DESIGN.md's rules forbid; packages that do not exist yet are not checked.
func TestModuleImports(t *testing.T) {
	module, pkgs, err := ListModule()
	if err != nil {
		t.Fatalf("ListModule: %v", err)
	}
	if module == "" || len(pkgs) == 0 {
		t.Fatalf("ListModule found module %q with %d packages, want the module and its packages", module, len(pkgs))
	}
	for _, v := range Check(module, pkgs) {
		t.Errorf("forbidden import: %s", v)
	}
}
