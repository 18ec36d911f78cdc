package erptest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/erp/proc"
)

// Main is a TestMain that builds cmd/demo-erp once into a temporary folder,
// sets *demoERP to the binary's path, runs the tests and exits with their
// code; the folder (filepath.Dir(*demoERP)) is removed after the tests.
func Main(m *testing.M, demoERP *string) {
	dir, err := os.MkdirTemp("", "upkeep-demo-erp-")
	if err == nil {
		*demoERP, err = BuildDemoERP(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// FreeAddr returns a loopback address with a port free right now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

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

// PIDIn reads the process id in the pid file at path.
func PIDIn(t testing.TB, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := proc.ParsePID(data)
	if err != nil {
		t.Fatal(err)
	}
	return pid
}
