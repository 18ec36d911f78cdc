package proc_test

import (
	"fmt"
	"net"
	"os"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
)

// demoERP is the demo-erp binary built once for this package's tests.
var demoERP string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "proc-test-")
	if err == nil {
		demoERP, err = erptest.BuildDemoERP(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
