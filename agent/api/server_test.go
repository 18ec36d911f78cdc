package api_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/api"
)

func TestRootMayActAndIsIdentifiedByItsCredentials(t *testing.T) {
	ctx := t.Context()
	if os.Geteuid() != 0 {
		t.Skip("the test process must be root")
	}
	dir := t.TempDir()
	sock, _ := serve(t, dir, newBackend(t, dir), api.Options{}, "")
	c := &api.Client{Path: sock}
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Caller.UID != "0" || st.Caller.User != "root" || st.Caller.PID != os.Getpid() || !st.Caller.CanAct {
		t.Errorf("caller = %+v, want root (uid 0, pid %d) allowed to act", st.Caller, os.Getpid())
	}
	holds, err := c.SetHolds(ctx, api.HoldsChange{Hold: []api.Hold{{Module: "arp", Reason: "audited"}}})
	if err != nil {
		t.Fatalf("root may hold: %v", err)
	}
	if len(holds) != 1 || holds[0].Module != "arp" || holds[0].SetBy != "root" {
		t.Errorf("holds = %+v, want arp held by root", holds)
	}
	ovr, err := c.SetOverrides(ctx, api.OverridesChange{DefaultUpgrade: map[string]string{"arp": "false"},
		Relax: []api.Relaxation{{Module: "reports", Dependency: "core", Enforcement: "none"}}})
	if err != nil {
		t.Fatal(err)
	}
	if ovr.DefaultUpgrade["arp"] != "false" || len(ovr.Relaxations) != 1 || ovr.Relaxations[0].Enforcement != "none" {
		t.Errorf("overrides = %+v", ovr)
	}
}

func TestBrowserRequestsAreRefused(t *testing.T) {
	dir := t.TempDir()
	sock, _ := serve(t, dir, newBackend(t, dir), api.Options{}, "")
	for _, h := range [][2]string{{"Origin", "http://evil.example"}, {"Sec-Fetch-Site", "cross-site"}} {
		req, _ := http.NewRequest(http.MethodGet, "http://upkeep-agent/v1/status", nil)
		req.Header.Set(h[0], h[1])
		resp, err := rawClient(sock).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || body["code"] != "access_denied" || !strings.Contains(body["error"], "browser") {
			t.Errorf("%s: %d %v, want 403 access_denied naming browsers", h[0], resp.StatusCode, body)
		}
	}
}

func TestMethodsUnknownRoutesAndBodiesAreChecked(t *testing.T) {
	dir := t.TempDir()
	sock, _ := serve(t, dir, newBackend(t, dir), api.Options{}, "")
	hc := rawClient(sock)
	req, _ := http.NewRequest(http.MethodDelete, "http://upkeep-agent/v1/holds", nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, PUT" {
		t.Errorf("DELETE /v1/holds: %d, Allow %q; want 405 and GET, PUT", resp.StatusCode, resp.Header.Get("Allow"))
	}
	resp, err = hc.Get("http://upkeep-agent/v1/nothing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown route: %d, want 404", resp.StatusCode)
	}
	resp, err = hc.Post("http://upkeep-agent/v1/apply", "application/json", strings.NewReader(`{"plan_hash":"x","colour":"red"}`))
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]string
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body["error"], "colour") {
		t.Errorf("unknown field: %d %v, want 400 naming the field", resp.StatusCode, body)
	}
}

func TestClientErrorsAreTyped(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	sock, _ := serve(t, dir, newBackend(t, dir), api.Options{}, "")
	c := &api.Client{Path: sock}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"no report yet", second(c.Report(ctx)), "not_found"},
		{"apply without a hash", second(c.Apply(ctx, api.RunRequest{})), "bad_request"},
		{"apply, not wired yet", second(c.Apply(ctx, api.RunRequest{PlanHash: "abc"})), "not_available"},
		{"stale settings", second(c.SetSettings(ctx, api.SettingsUpdate{Revision: "old", TOML: confText})), "conflict"},
		{"bad override", second(c.SetOverrides(ctx, api.OverridesChange{DefaultUpgrade: map[string]string{"arp": "maybe"}})), "bad_request"},
		{"no agent", second((&api.Client{Path: filepath.Join(dir, "none.sock")}).Status(ctx)), "unreachable"},
	}
	for _, tc := range cases {
		if got := kind(tc.err); got != tc.want {
			t.Errorf("%s: %s (%v), want %s", tc.name, got, tc.err, tc.want)
		}
	}
	if err := cases[len(cases)-1].err; !strings.Contains(err.Error(), "none.sock") || !strings.Contains(err.Error(), "upkeep service start") {
		t.Errorf("unreachable message %q: want the path and how to start the agent", err)
	}
}

func TestTheZeroClientUsesTheDefaultPath(t *testing.T) {
	ctx := t.Context()
	var zero api.Client
	_, err := zero.Status(ctx)
	switch kind(err) {
	case "ok", "access_denied": // an agent runs on this machine
	case "unreachable":
		if !strings.Contains(err.Error(), api.DefaultPath()) {
			t.Errorf("%v: want the default path %s named", err, api.DefaultPath())
		}
	default:
		t.Errorf("zero client: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestSettingsAreValidatedThenSaved(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	sock, _ := serve(t, dir, newBackend(t, dir), api.Options{}, "")
	c := &api.Client{Path: sock}
	s, err := c.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.TOML != confText || s.Path != filepath.Join(dir, "upkeep.toml") {
		t.Fatalf("settings = %+v", s)
	}
	_, err = c.SetSettings(ctx, api.SettingsUpdate{Revision: s.Revision, TOML: confText + "[api]\nsockets = \"/x\"\n"})
	if kind(err) != "bad_request" || !strings.Contains(err.Error(), "api.sockets") {
		t.Errorf("unknown key: %v, want bad_request naming api.sockets", err)
	}
	if data, _ := os.ReadFile(s.Path); string(data) != confText {
		t.Errorf("a refused change was saved:\n%s", data)
	}
	next := confText + "[api]\nadmin_group = \"adm\"\n"
	got, err := c.SetSettings(ctx, api.SettingsUpdate{Revision: s.Revision, TOML: next})
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(s.Path)
	if data, _ := os.ReadFile(s.Path); string(data) != next || !got.RestartNeeded || fi.Mode().Perm() != 0o640 {
		t.Errorf("saved %q (mode %v), restart_needed %v; want the new file, mode 0640, restart needed", data, fi.Mode().Perm(), got.RestartNeeded)
	}
}

func TestClientsNameThemselvesAndBadNamesAreRefused(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	sock, _ := serve(t, dir, newBackend(t, dir), api.Options{}, "")
	st, err := (&api.Client{Path: sock, Name: "tray"}).Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Caller.Client != "tray" || st.Caller.Who() != "tray: "+st.Caller.User {
		t.Errorf("caller = %+v (who %q), want client tray", st.Caller, st.Caller.Who())
	}
	if st, err = (&api.Client{Path: sock}).Status(ctx); err != nil || st.Caller.Client != "" || st.Caller.Who() != st.Caller.User {
		t.Errorf("an unnamed client: %+v, %v; want the user alone", st, err)
	}
	for _, name := range []string{"Tray", "tray; rm -rf", strings.Repeat("a", 33)} {
		req, _ := http.NewRequest(http.MethodGet, "http://upkeep-agent/v1/status", nil)
		req.Header.Set(api.ClientHeader, name)
		resp, err := rawClient(sock).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || body["code"] != "bad_request" || !strings.Contains(body["error"], api.ClientHeader) {
			t.Errorf("client name %q: %d %v, want 400 bad_request naming the header", name, resp.StatusCode, body)
		}
	}
}
