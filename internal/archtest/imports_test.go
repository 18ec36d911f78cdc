package archtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestModuleImports fails on every import of the module's packages that
// docs/DESIGN.md's rules forbid; packages that do not exist yet are not checked.
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

// TestOneAssembly: outside its own package, the apply runner is built in
// agent/host alone (the backend and the command line ask it for one).
func TestOneAssembly(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	module, _, _ := strings.Cut(strings.TrimPrefix(string(gomod), "module "), "\n")
	built, err := Literals(root, module+"/agent/apply", "Runner")
	if err != nil {
		t.Fatal(err)
	}
	if len(built) != 1 || built[0].Dir != "agent/host" {
		t.Errorf("apply.Runner is built in %+v; want it built in agent/host only", built)
	}
}
