package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/catalog"
)

func TestHeadersSayTheCoreAndCountInWords(t *testing.T) {
	v := catalog.MustParseVersion
	r := &scan.Report{Core: scan.InstalledModule{Module: "core", Version: v("2.50.20")}, Repositories: []string{"2.50"},
		Installed: []scan.InstalledModule{{Module: "core", Version: v("2.50.20")}}}
	var b bytes.Buffer
	printReport(&b, r, palette{})
	if got := strings.SplitN(b.String(), "\n", 2)[0]; got != "core 2.50.20 (the core); repositories 2.50; 1 module installed" {
		t.Errorf("report header = %q", got)
	}
	b.Reset()
	printStatus(&b, &api.Status{PID: 7, Since: time.Now(), Version: "(devel)"}, statusView{Agent: &api.Status{}})
	if s := b.String(); strings.Contains(s, "((") || !strings.Contains(s, "(version devel)") {
		t.Errorf("status = %q", s)
	}
	b.Reset()
	printPlan(&b, &scan.Plan{Changes: []scan.PlannedChange{{Stage: 1, Module: "core", From: v("2.50.20"), To: v("2.50.22"), Kind: catalog.KindUpdate}}})
	if !strings.Contains(b.String(), "STAGE") || strings.Contains(b.String(), "STEP") {
		t.Errorf("plan table = %q", b.String())
	}
}
