package tryton

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const sampleConf = `# production
[database]
uri = postgresql://tryton:secret@db:5432/
path = /var/lib/tryton
  /continued

[email]
URI: smtp://mail.example.com:25
from = erp@example.com

[web]
listen = 0.0.0.0:8000
`

func TestNeutralConf(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "trytond.conf"), filepath.Join(dir, "rehearsal.conf")
	if err := os.WriteFile(src, []byte(sampleConf), 0o640); err != nil {
		t.Fatal(err)
	}
	err := NeutralConf(src, dst, map[string]string{"database.path": "/tmp/copy", "web.listen": "127.0.0.1:8123", "cache.model": "10"})
	if err != nil {
		t.Fatal(err)
	}
	for sec, want := range map[string]map[string]string{
		"database": {"uri": "postgresql://tryton:secret@db:5432/", "path": "/tmp/copy"},
		"email":    {"uri": NeutralEmailURI, "from": "erp@example.com"},
		"web":      {"listen": "127.0.0.1:8123"},
		"cache":    {"model": "10"},
	} {
		got, err := parseINISection(dst, sec)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("[%s] %s = %q, want %q", sec, k, got[k], v)
			}
		}
	}
	b, _ := os.ReadFile(dst)
	if !strings.Contains(string(b), "# production") || strings.Contains(string(b), "continued") {
		t.Errorf("comments must stay and a replaced value's continuation go:\n%s", b)
	}
	if st, _ := os.Stat(dst); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if err := NeutralConf(src, dst, map[string]string{"nodot": "x"}); err == nil {
		t.Error("an override without a section was accepted")
	}
	if err := NeutralConf(src, dst, map[string]string{"web.listen": "a\nb"}); err == nil {
		t.Error("a two-line value was accepted")
	}
}

// TestNeutralConfReadByTrytond: trytond's own parser sees the dummy mail
// server and the overrides.
func TestNeutralConfReadByTrytond(t *testing.T) {
	t.Parallel()
	needTryton(t)
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "trytond.conf"), filepath.Join(dir, "rehearsal.conf")
	if err := os.WriteFile(src, []byte(sampleConf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := NeutralConf(src, dst, map[string]string{"database.path": "/tmp/copy"}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(DefaultPython, "-c", "from trytond.config import config as c; print(c.get('email', 'uri'), c.get('database', 'path'), c.get('email', 'from'))")
	cmd.Env = append(os.Environ(), "TRYTOND_CONFIG="+dst)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got, want := strings.TrimSpace(lastLines(string(out), 1)), NeutralEmailURI+" /tmp/copy erp@example.com"; got != want {
		t.Errorf("trytond reads %q, want %q", got, want)
	}
}

func TestRPCURL(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for listen, want := range map[string]string{
		"":                          "http://localhost:8000/",
		"listen = 0.0.0.0:8123":     "http://127.0.0.1:8123/",
		"listen = [::]:8000":        "http://[::1]:8000/",
		"listen = host:1, other:2":  "http://host:1/",
		"listen = 127.0.0.1:9000  ": "http://127.0.0.1:9000/",
	} {
		conf := filepath.Join(dir, "c.conf")
		if err := os.WriteFile(conf, []byte("[web]\n"+listen+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := rpcURL("", conf); err != nil || got != want {
			t.Errorf("[web] %s → %q, %v; want %q", listen, got, err, want)
		}
	}
	if got, _ := rpcURL("https://erp.example.com/tryton", ""); got != "https://erp.example.com/tryton/" {
		t.Errorf("configured URL → %q", got)
	}
	if _, err := rpcURL("erp:8000", ""); err == nil {
		t.Error("a URL without a scheme was accepted")
	}
}

func FuzzRewriteINI(f *testing.F) {
	f.Add(sampleConf, "web", "listen", "127.0.0.1:1")
	f.Add("[a]\nb = c\n  d\n[a]\nb: e\n", "a", "b", "x")
	f.Add("", "email", "uri", "smtp://x")
	f.Add("[DEFAULT]\nk=v\n;c\n#c\n", "new", "opt", "")
	f.Fuzz(func(t *testing.T, conf, sec, opt, val string) {
		if !optionName(sec) || !optionName(opt) || strings.ContainsAny(val, "\r\n") || strings.TrimSpace(val) != val {
			return
		}
		src := filepath.Join(t.TempDir(), "c.conf")
		if err := os.WriteFile(src, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := parseINISection(src, sec); err != nil {
			return // trytond would refuse the file anyway
		}
		dst := filepath.Join(t.TempDir(), "d.conf")
		if err := NeutralConf(src, dst, map[string]string{sec + "." + opt: val}); err != nil {
			t.Fatal(err)
		}
		got, err := parseINISection(dst, sec)
		if err != nil {
			t.Fatalf("the rewritten file does not parse: %v", err)
		}
		if got[strings.ToLower(opt)] != val {
			t.Errorf("[%s] %s = %q after the rewrite, want %q", sec, opt, got[strings.ToLower(opt)], val)
		}
	})
}

// optionName reports whether s is a plain section or option name.
func optionName(s string) bool {
	if s == "" || s == "DEFAULT" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func FuzzRPCErrorText(f *testing.F) {
	f.Add(`["no such column: a.acme_tier", ""]`)
	f.Add(`["UserError", ["The record is locked.", "", {}]]`)
	f.Add(`"plain"`)
	f.Add(`[1, null, [2.5, ["x"]]]`)
	f.Fuzz(func(t *testing.T, raw string) {
		if s := rpcErrorText([]byte(raw)); s == "" && raw != "" {
			t.Errorf("rpcErrorText(%q) is empty", raw)
		}
	})
}
