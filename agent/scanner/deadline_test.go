package scanner_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp/demo"
	"github.com/upkeep-erp/upkeep/agent/scanner"
)

// TestSlowOrOversizedRepositoryIsClassed: a repository that trickles its
// timestamp is unreachable (exit 3), naming the URL and what was too slow;
// one whose timestamp is over its cap is untrusted (exit 5).
func TestSlowOrOversizedRepositoryIsClassed(t *testing.T) {
	ctx := t.Context()
	r, c, _, _ := scanning(t)
	_, st, _ := setup(t, r.url) // a fresh state: no cached metadata
	c.State = config.State{Dir: t.TempDir()}
	c.Repository.Deadlines = config.Deadlines{MinSpeed: 1024, Window: config.Duration{Duration: 200 * time.Millisecond}}
	erp, err := demo.New(demo.Config{Dir: c.ERP.Demo.Dir})
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.intercept = func(w http.ResponseWriter, req *http.Request) bool {
		if !strings.HasSuffix(req.URL.Path, "/timestamp.json") {
			return false
		}
		w.WriteHeader(http.StatusOK)
		for req.Context().Err() == nil {
			if _, err := w.Write([]byte(" ")); err != nil {
				break
			}
			w.(http.Flusher).Flush()
			time.Sleep(20 * time.Millisecond)
		}
		return true
	}
	r.mu.Unlock()
	_, err = scanner.Scan(ctx, c, st, erp, scanner.Request{})
	if !errors.Is(err, scanner.ErrRepository) || !strings.Contains(err.Error(), r.url+"/2.50/metadata/timestamp.json") || !strings.Contains(err.Error(), "under the floor of 1024 bytes/s") {
		t.Fatalf("scan of a trickling repository = %v, want ErrRepository naming the timestamp's URL and the floor", err)
	}
	r.mu.Lock()
	r.intercept = func(w http.ResponseWriter, req *http.Request) bool {
		if !strings.HasSuffix(req.URL.Path, "/timestamp.json") {
			return false
		}
		w.Write([]byte(strings.Repeat(" ", 64<<10)))
		return true
	}
	r.mu.Unlock()
	_, err = scanner.Scan(ctx, c, st, erp, scanner.Request{})
	if !errors.Is(err, scanner.ErrUntrusted) || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("scan of a repository with an oversized timestamp = %v, want ErrUntrusted (too large)", err)
	}
}
