package proc_test

import (
	"testing"

	"github.com/upkeep-erp/upkeep/agent/erp/erptest"
)

// demoERP is the demo-erp binary built once for this package's tests.
var demoERP string

func TestMain(m *testing.M) { erptest.Main(m, &demoERP) }
