package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/repo/meta"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

var ctx = context.Background()

// instance builds a demo ERP with the story's installed set and a config
// pointing at it (the repository URL is not contacted by these commands).
func instance(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var archives [][]byte
	for _, nv := range [][2]string{{"core", "2.50.20"}, {"arp", "1.3.0"}, {"localization-es", "1.2.0"}, {"reports", "0.9.0"}} {
		data, err := sample.ArchiveOf(nv[0], nv[1])
		if err != nil {
			t.Fatal(err)
		}
		archives = append(archives, data)
	}
	if err := demoerp.NewInstance(filepath.Join(dir, "erp"), archives); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "upkeep.toml")
	body := "[erp]\nkind = \"demo\"\ndemo.dir = \"erp\"\n[repository]\nurl = \"http://127.0.0.1:1\"\ntrusted_root = \"root.json\"\n[state]\ndir = \"state\"\n"
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	writeRoot(t, filepath.Join(dir, "root.json"))
	return conf
}

// writeRoot writes a repository's root metadata (of a key made for the
// test) at path: what config check wants to find there.
func writeRoot(t *testing.T, path string) {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	root, err := meta.NewRoot(1, key, key.Public().(ed25519.PublicKey), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, root, 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, &out, &errOut)
	record(args, code, out.String(), errOut.String())
	return code, out.String(), errOut.String()
}

func TestInstalledReadsTheDemoERP(t *testing.T) {
	conf := instance(t)
	code, out, errOut := run(t, "--config", conf, "installed", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rows []api.InstalledModule
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r.Module] = r.Version
	}
	want := map[string]string{"core": "2.50.20", "arp": "1.3.0", "localization-es": "1.2.0", "reports": "0.9.0"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("installed = %v, want %v", got, want)
	}
}

func TestStateCommands(t *testing.T) {
	conf := instance(t)
	for _, args := range [][]string{
		{"override", "default-upgrade", "arp", "true"},
		{"hold", "reports", "--reason", "customised"},
		{"relax", "localization-es", "core", "none"},
		{"config", "check"},
	} {
		if code, _, errOut := run(t, append([]string{"--config", conf}, args...)...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
	}
	_, out, _ := run(t, "--config", conf, "hold")
	if !strings.Contains(out, "held: reports  (customised") {
		t.Errorf("hold list = %q", out)
	}
	if code, _, errOut := run(t, "--config", conf, "unhold", "arp"); code != ExitUsage || !strings.Contains(errOut, "not held") {
		t.Errorf("unhold of a module not held: exit %d, %q", code, errOut)
	}
}

// TestHoldWithoutReason: a hold set without --reason is listed without an
// empty reason or a stray comma.
func TestHoldWithoutReason(t *testing.T) {
	conf := instance(t)
	code, out, errOut := run(t, "--config", conf, "hold", "arp")
	if code != 0 {
		t.Fatalf("hold arp: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "held: arp  (by ") || strings.Contains(out, "(,") || strings.Contains(out, ", by") {
		t.Errorf("hold without a reason printed %q", out)
	}
}

func TestExitCodes(t *testing.T) {
	conf := instance(t)
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("[erp]\nkind = \"odoo\"\n"), 0o600)
	broken := filepath.Join(filepath.Dir(conf), "broken.toml")
	os.WriteFile(broken, []byte(strings.Replace(mustRead(t, conf), `demo.dir = "erp"`, `demo.dir = "nothing-here"`, 1)), 0o600)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, ExitUsage, "unknown command"},
		{[]string{"--config", conf, "override", "default-upgrade", "arp", "maybe"}, ExitUsage, "true, false or inherit"},
		{[]string{"--config", bad, "config", "check"}, ExitUsage, `erp.odoo.odoo_bin = ""`},
		{[]string{"--config", filepath.Join(t.TempDir(), "none.toml"), "config", "check"}, ExitUsage, "--config"},
		{[]string{"--config", broken, "installed"}, ExitERP, "demo-erp init"},
		{[]string{"--config", conf, "relax", "arp", "core", "loose"}, ExitUsage, "enforcement"},
	}
	for _, c := range cases {
		code, _, errOut := run(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d %q; want exit %d mentioning %q", c.args, code, errOut, c.code, c.want)
		}
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
