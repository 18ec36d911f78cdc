package cli_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/repo"
)

// TestEveryWriteAttemptIsAudited: refusals over HTTP (a publish out of a
// publisher's scope, a publisher's extend, a forged token, a revoked token,
// a narrowing extend) and token add and revoke are in the log, with who,
// what, the result and why; --refused keeps the refusals; --json works
// locally and through the server.
func TestEveryWriteAttemptIsAudited(t *testing.T) {
	t.Parallel()
	dir, archives := publishedRepo(t)
	admin := tokenRE.FindString(mustRun(t, "token", "add", "--dir", dir, "ops", "--role", "admin"))
	pub := strings.TrimSpace(mustRun(t, "token", "add", "--dir", dir, "ci-warehouse", "--modules", "warehouse"))
	old := strings.TrimSpace(mustRun(t, "token", "add", "--dir", dir, "old-ci", "--modules", "arp"))
	mustRun(t, "token", "revoke", "--dir", dir, "old-ci")
	s, err := repo.Open(dir, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h, err := repo.NewServer(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	remote := func(tok string, args ...string) []string { return append(args, "--server", srv.URL, "--token", tok) }
	arp := archiveNamed(t, archives, "arp-2.0.0.zip")
	for _, args := range [][]string{
		remote(pub, "publish", arp),
		remote(pub, "extend", "localization-es", "1.2.0", "--depends", "core>=2.50.0,<3.1"),
		remote("upk_forged0000000000000000000000000000000000", "publish", arp),
		remote(old, "maturity", "arp", "1.4.0", "beta"),
		remote(admin, "extend", "localization-es", "1.2.0", "--depends", "core>=2.50.10"),
	} {
		if code, _, _ := run(t, args...); code != 1 {
			t.Fatalf("upkeep-repo %s: exit %d, want 1 (refused)", strings.Join(args, " "), code)
		}
	}

	var refused []repo.LogEntry
	mustJSON(t, &refused, remote(admin, "log", "--refused")...)
	want := []struct{ actor, action, what, why string }{
		{"ci-warehouse", "publish", "arp 2.0.0", "may not publish module arp"},
		{"ci-warehouse", "extend", "localization-es 1.2.0", "extend needs an admin token"},
		{"unknown token (sha256 ", "publish", "", "unknown token"},
		{"old-ci (revoked)", "maturity", "arp 1.4.0", "was revoked"},
		{"ops", "extend", "localization-es 1.2.0", "refused"},
	}
	if len(refused) != len(want) {
		t.Fatalf("log --refused has %d entries, want %d:\n%+v", len(refused), len(want), refused)
	}
	for i, w := range want {
		e := refused[i]
		if !strings.HasPrefix(e.Actor, w.actor) || e.Action != w.action || e.Result != repo.ResultRefused ||
			strings.TrimSpace(e.Module+" "+e.Version) != w.what || !strings.Contains(e.Reason, w.why) {
			t.Errorf("refusal %d = %+v, want %s %s %q refused because %q", i, e, w.actor, w.action, w.what, w.why)
		}
	}
	if strings.Contains(refused[2].Actor, "upk_") {
		t.Errorf("the audit log holds a token: %q", refused[2].Actor)
	}

	var all []repo.LogEntry
	mustJSON(t, &all, "log", "--dir", dir)
	tokens := map[string]string{}
	for _, e := range all {
		if strings.HasPrefix(e.Action, "token-") {
			tokens[e.Action+" "+strings.SplitN(e.Detail, ",", 2)[0]] = e.Result + " by " + e.Actor
		}
	}
	me := localActor(t)
	for _, k := range []string{"token-add ops", "token-add ci-warehouse", "token-add old-ci", "token-revoke old-ci"} {
		if tokens[k] != "ok by "+me {
			t.Errorf("log: %s = %q, want ok by %s (all: %v)", k, tokens[k], me, tokens)
		}
	}
	text := mustRun(t, "log", "--dir", dir, "--refused")
	if n := strings.Count(text, "refused "); n != len(want) || !strings.Contains(text, "why: ") || strings.Contains(text, " ok ") {
		t.Errorf("log --refused (text) shows %d refusals, want %d with their reasons:\n%s", n, len(want), text)
	}
}

func TestRotateRootCommand(t *testing.T) {
	t.Parallel()
	dir, _ := publishedRepo(t)
	saved := filepath.Join(t.TempDir(), "root-v1.key")
	data, err := os.ReadFile(filepath.Join(dir, "keys", "root.key"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(saved, data, 0o600)
	os.Remove(filepath.Join(dir, "keys", "root.key")) // kept offline, as the docs say
	if code, _, errOut := run(t, "rotate-root", "--dir", dir); code != 1 || !strings.Contains(errOut, "--root-key") {
		t.Fatalf("rotate-root without the root key: exit %d, %s; want 1 asking for --root-key", code, errOut)
	}
	var r repo.Rotated
	mustJSON(t, &r, "rotate-root", "--dir", dir, "--root-key", saved, "--new-online-key")
	if r.Version != 2 || !r.NewRootKey || !r.NewOnlineKey || len(r.Repositories) != 2 {
		t.Fatalf("rotate-root --json = %+v", r)
	}
	out := mustRun(t, "rotate-root", "--dir", dir, "--keep-root-key")
	if !strings.Contains(out, "root version 3 published in 2.50, 3.0") || strings.Contains(out, "New root key") {
		t.Fatalf("rotate-root --keep-root-key printed:\n%s", out)
	}
	if code, _, errOut := run(t, "rotate-root", "--dir", dir, "--root-key", saved); code != 1 || !strings.Contains(errOut, "is not the key of root version 3") {
		t.Fatalf("rotate-root with the replaced key: exit %d, %s", code, errOut)
	}
}
