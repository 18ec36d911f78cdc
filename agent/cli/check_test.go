package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConfigCheckChecksWhatTheAgentUses: a missing or garbage trusted
// root, an admin group that does not exist, a state folder the service's
// user cannot write and an ERP program that is not there are each exit 2
// naming the key, all listed at once; `run` refuses to start on them.
func TestConfigCheckChecksWhatTheAgentUses(t *testing.T) {
	conf := instance(t)
	dir := filepath.Dir(conf)
	good := mustRead(t, conf)
	edit := func(body string) string {
		p := filepath.Join(t.TempDir(), "upkeep.toml")
		body = strings.ReplaceAll(body, `"root.json"`, `"`+filepath.Join(dir, "root.json")+`"`)
		body = strings.ReplaceAll(body, `"erp"`, `"`+filepath.Join(dir, "erp")+`"`)
		body = strings.ReplaceAll(body, `dir = "state"`, `dir = "`+filepath.Join(dir, "state")+`"`)
		os.WriteFile(p, []byte(body), 0o600)
		return p
	}
	garbage := filepath.Join(dir, "garbage.json")
	os.WriteFile(garbage, []byte(`{"signed":{"_type":"targets"}}`), 0o644)
	for _, tc := range []struct {
		name, body string
		args       []string
		want       []string
	}{
		{"missing root", strings.Replace(good, `"root.json"`, `"missing.json"`, 1), nil, []string{"repository.trusted_root", "no such file"}},
		{"garbage root", strings.Replace(good, `"root.json"`, `"`+garbage+`"`, 1), nil, []string{"repository.trusted_root", "not a repository's root metadata"}},
		{"no such group", good + "[api]\nadmin_group = \"no-such-group-i16\"\n", nil, []string{`api.admin_group = "no-such-group-i16"`, "no such group"}},
		{"missing program", strings.Replace(good, `demo.dir = "erp"`, "demo.dir = \"erp\"\ndemo.command = [\"/nonexistent/demo-erp\"]", 1), nil, []string{"erp.demo.command", "/nonexistent/demo-erp"}},
		{"all at once", strings.Replace(good, `"root.json"`, `"missing.json"`, 1) + "[api]\nadmin_group = \"no-such-group-i16\"\n", nil, []string{"repository.trusted_root", "api.admin_group"}},
	} {
		p := edit(tc.body)
		code, _, errOut := run(t, append([]string{"--config", p, "config", "check"}, tc.args...)...)
		for _, w := range tc.want {
			if code != ExitUsage || !strings.Contains(errOut, w) {
				t.Errorf("%s: config check exit %d, want 2 mentioning %q:\n%s", tc.name, code, w, errOut)
				break
			}
		}
	}
	if os.Geteuid() == 0 {
		state := filepath.Join(dir, "state")
		os.MkdirAll(state, 0o755)
		code, _, errOut := run(t, "--config", conf, "config", "check", "--service-user", "nobody")
		if code != ExitUsage || !strings.Contains(errOut, "state.dir") || !strings.Contains(errOut, "not writable by nobody") {
			t.Errorf("config check --service-user nobody on a folder root owns: exit %d:\n%s", code, errOut)
		}
	}
	if code, out, errOut := run(t, "--config", conf, "config", "check"); code != 0 || !strings.Contains(out, ": ok") {
		t.Fatalf("config check of a good configuration: exit %d %s %s", code, out, errOut)
	}

	// run refuses to start on a configuration config check refuses.
	bad := edit(strings.Replace(good, `"root.json"`, `"missing.json"`, 1))
	sock := withAPI(t, bad, "")
	cmd := exec.Command(buildUpkeep(t), "--config", bad, "run")
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("upkeep run with a missing trusted root is still running after 30 s")
	}
	if cmd.ProcessState.ExitCode() != ExitUsage || !strings.Contains(string(out), "repository.trusted_root") {
		t.Errorf("upkeep run with a missing trusted root: %v, exit %d:\n%s", err, cmd.ProcessState.ExitCode(), out)
	}
	if _, err := os.Stat(sock); err == nil {
		t.Errorf("upkeep run created its socket %s before refusing", sock)
	}
}
