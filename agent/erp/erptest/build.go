package erptest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildDemoERP builds cmd/demo-erp into dir (a TestMain's temp folder) and
// returns the binary's path, so tests run the real demo ERP program.
func BuildDemoERP(dir string) (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if err != nil || root == "." {
		return "", fmt.Errorf("go env GOMOD: %q, %v: run the tests inside the module", gomod, err)
	}
	exe, _ := os.Executable()
	bin := filepath.Join(dir, "demo-erp"+filepath.Ext(exe)) // ".exe" where programs need it
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/demo-erp")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/demo-erp: %w\n%s", err, out)
	}
	return bin, nil
}
