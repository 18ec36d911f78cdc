package cli

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/config"
)

// refuseArchives puts a proxy before conf's repository that answers every
// archive download 403, and points conf at it.
func refuseArchives(t *testing.T, conf string) {
	t.Helper()
	c, err := config.Load(conf)
	if err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(c.Repository.URL)
	if err != nil {
		t.Fatal(err)
	}
	fwd := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/archives/") {
			http.Error(w, "refused by the test", http.StatusForbidden)
			return
		}
		fwd.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	body := mustRead(t, conf)
	rewrite(t, conf, []byte(body), c.Repository.URL, proxy.URL)
}

// TestADownloadRefusedBeforeTheERPIsTouchedSaysNothingChanged: the run is
// reported (by apply and by history) as failed with nothing changed, not
// as failed-restored: nothing was restored.
func TestADownloadRefusedBeforeTheERPIsTouchedSaysNothingChanged(t *testing.T) {
	conf := running(t)
	refuseArchives(t, conf)
	code, out, errOut := run(t, "--config", conf, "apply", "--yes")
	if code == 0 || strings.Contains(out+errOut, "failed-restored") || !strings.Contains(out+errOut, "nothing changed") ||
		!strings.Contains(out+errOut, "download") {
		t.Errorf("apply with its downloads refused: exit %d\n%s%s\nwant a failure at the download saying nothing changed, never failed-restored", code, out, errOut)
	}
	code, out, errOut = run(t, "--config", conf, "history")
	if code != 0 || strings.Contains(out, "failed-restored") || !regexp.MustCompile(`(?m)^1\s.*\sfailed\s.*download`).MatchString(out) {
		t.Errorf("history: exit %d\n%s%s\nwant run 1 failed at the download, not failed-restored", code, out, errOut)
	}
	code, out, _ = run(t, "--config", conf, "history", "1")
	if code != 0 || strings.Contains(out, "failed-restored") {
		t.Errorf("history 1: exit %d\n%s", code, out)
	}
	if err := erpHealth(t, conf); err != nil {
		t.Errorf("the ERP is not healthy after the refused download: %v", err)
	}
}
