package cli_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/cli"
	"github.com/upkeep-erp/upkeep/repo/meta"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// TestMain keeps the developer's environment from steering the commands.
func TestMain(m *testing.M) {
	for _, k := range []string{"UPKEEP_REPO_DIR", "UPKEEP_REPO_SERVER", "UPKEEP_REPO_TOKEN"} {
		os.Unsetenv(k)
	}
	os.Exit(m.Run())
}

// run calls cli.Main in process and returns its exit code, stdout and stderr.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// mustRun runs a command that must succeed and returns its stdout.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := run(t, args...)
	if code != cli.ExitOK {
		t.Fatalf("upkeep-repo %s: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// mustJSON runs a command with --json and decodes its stdout into v.
func mustJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out := mustRun(t, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("upkeep-repo %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

var tokenRE = regexp.MustCompile(`upk_[A-Za-z0-9_-]{20,}`)

// initRepo runs 'init' in a new temp dir and returns the dir and the admin token.
func initRepo(t *testing.T) (string, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cr")
	out := mustRun(t, "init", dir)
	tok := tokenRE.FindString(out)
	if tok == "" {
		t.Fatalf("init printed no admin token:\n%s", out)
	}
	return dir, tok
}

// sampleArchives writes the demo catalog's archives, in publishing order, as
// NAME-VERSION.zip files and returns their paths.
func sampleArchives(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for _, m := range sample.Catalog() {
		data, err := m.Archive()
		if err != nil {
			t.Fatalf("sample archive %s %s: %v", m.Name, m.Version, err)
		}
		p := filepath.Join(dir, m.Name+"-"+m.Version+".zip")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// publishedRepo is a repository holding the whole sample catalog.
func publishedRepo(t *testing.T) (dir string, archives []string) {
	t.Helper()
	dir, _ = initRepo(t)
	archives = sampleArchives(t)
	mustRun(t, append([]string{"publish", "--dir", dir}, archives...)...)
	return dir, archives
}

func archiveNamed(t *testing.T, archives []string, base string) string {
	t.Helper()
	for _, a := range archives {
		if filepath.Base(a) == base {
			return a
		}
	}
	t.Fatalf("no sample archive %s", base)
	return ""
}

func localActor(t *testing.T) string {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		return "local:unknown"
	}
	return "local:" + u.Username
}

func findVersion(mods []repo.ModuleInfo, module, version string) (repo.ModuleInfo, repo.VersionInfo, bool) {
	for _, m := range mods {
		if m.Name != module {
			continue
		}
		for _, v := range m.Versions {
			if v.Version == version {
				return m, v, true
			}
		}
	}
	return repo.ModuleInfo{}, repo.VersionInfo{}, false
}

func listJSON(t *testing.T, dir string, extra ...string) []repo.ModuleInfo {
	t.Helper()
	var mods []repo.ModuleInfo
	mustJSON(t, &mods, append([]string{"list", "--dir", dir}, extra...)...)
	return mods
}

func TestInitPrintsAdminTokenAndRoot(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "cr")
	out := mustRun(t, "init", dir)
	if tokenRE.FindString(out) == "" {
		t.Errorf("init output has no admin token:\n%s", out)
	}
	rootPath := filepath.Join(dir, "root.json")
	if !strings.Contains(out, "Trusted root for agents: "+rootPath) {
		t.Errorf("init output does not name the trusted root %s:\n%s", rootPath, out)
	}
	root, err := os.ReadFile(rootPath)
	if err != nil {
		t.Fatalf("root metadata not written: %v", err)
	}
	sum := sha256.Sum256(root)
	if !strings.Contains(out, "sha256 "+hex.EncodeToString(sum[:])) {
		t.Errorf("init output does not show the root's sha256 %x:\n%s", sum, out)
	}
	if !strings.Contains(out, filepath.Join(dir, "keys", "root.key")) || !strings.Contains(out, "offline") {
		t.Errorf("init output does not tell to move the offline root key away:\n%s", out)
	}

	var res repo.InitResult
	mustJSON(t, &res, "init", filepath.Join(t.TempDir(), "cr2"))
	if !tokenRE.MatchString(res.AdminToken) || res.RootPath == "" || len(res.RootSHA256) != 64 {
		t.Errorf("init --json = %+v, want a token, a root path and a sha256", res)
	}
}

func TestPublishSampleCatalogPrintsPlacements(t *testing.T) {
	t.Parallel()
	dir, _ := initRepo(t)
	archives := sampleArchives(t)
	out := mustRun(t, append([]string{"publish", "--dir", dir}, archives...)...)
	for _, want := range []string{
		"published core 2.50.20 into 2.50 ",
		"published core 3.0.0 into 3.0 ",
		"published arp 1.4.0 into 2.50 ",
		"published arp 2.0.0 into 3.0 ",
		"published localization-es 1.2.0 into 2.50 ",
		"published reports 0.9.0 into 2.50 ",
		"published warehouse 1.0.0 into 2.50 ",
		"published warehouse 2.0.0 into 3.0 ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("publish output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "published "); n != len(archives) {
		t.Errorf("publish printed %d lines for %d archives:\n%s", n, len(archives), out)
	}
}

func TestPublishJSON(t *testing.T) {
	t.Parallel()
	dir, _ := initRepo(t)
	archives := sampleArchives(t)
	var pubs []repo.Published
	mustJSON(t, &pubs, "publish", "--dir", dir, archives[0], archives[3])
	if len(pubs) != 2 {
		t.Fatalf("publish --json gave %d results, want 2: %+v", len(pubs), pubs)
	}
	data, err := os.ReadFile(archives[0])
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if p := pubs[0]; p.Module != "core" || p.Version != "2.50.20" || p.SHA256 != hex.EncodeToString(sum[:]) || !slices.Equal(p.Repositories, []string{"2.50"}) {
		t.Errorf("publish --json [0] = %+v, want core 2.50.20 in [2.50] with the archive's sha256", p)
	}
	if p := pubs[1]; p.Module != "core" || p.Version != "3.0.0" || !slices.Equal(p.Repositories, []string{"3.0"}) {
		t.Errorf("publish --json [1] = %+v, want core 3.0.0 in [3.0]", p)
	}
}

func TestListShowsModulesVersionsAndRepositories(t *testing.T) {
	t.Parallel()
	dir, _ := publishedRepo(t)
	out := mustRun(t, "list", "--dir", dir)
	for _, re := range []string{
		`(?m)^MODULE\s+VERSION\s+MATURITY\s+REPOSITORIES\s+DEPENDS`,
		`(?m)^core \(core\)\s+2\.50\.20\s+confirmed-stable\s+2\.50\s*$`,
		`(?m)^core \(core\)\s+3\.0\.0\s+confirmed-stable\s+3\.0\s*$`,
		`(?m)^arp \(no default upgrade\)\s+1\.4\.0\s+confirmed-stable\s+2\.50\s+core>=2\.50\.20$`,
		`(?m)^reports\s+0\.9\.0\s+beta\s+2\.50\s+core>=2\.50$`,
		`(?m)^warehouse\s+2\.0\.0\s+confirmed-stable\s+3\.0\s+core>=3\.0\.0$`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("list output does not match %s:\n%s", re, out)
		}
	}

	mods := listJSON(t, dir)
	var names []string
	total := 0
	for _, m := range mods {
		names = append(names, m.Name)
		total += len(m.Versions)
	}
	if want := []string{"arp", "core", "localization-es", "reports", "warehouse"}; !slices.Equal(names, want) {
		t.Errorf("list --json modules = %v, want %v", names, want)
	}
	if total != len(sample.Catalog()) {
		t.Errorf("list --json has %d versions, want %d", total, len(sample.Catalog()))
	}
	for _, tc := range []struct {
		module, version string
		repos           []string
		core, du        bool
	}{
		{"core", "2.50.22", []string{"2.50"}, true, true},
		{"core", "3.0.0", []string{"3.0"}, true, true},
		{"arp", "1.3.0", []string{"2.50"}, false, false},
		{"arp", "2.0.0", []string{"3.0"}, false, false},
		{"localization-es", "1.2.0", []string{"2.50"}, false, true},
		{"warehouse", "2.0.0", []string{"3.0"}, false, true},
	} {
		m, v, ok := findVersion(mods, tc.module, tc.version)
		if !ok {
			t.Errorf("list --json lacks %s %s", tc.module, tc.version)
			continue
		}
		if !slices.Equal(v.Repositories, tc.repos) || m.Core != tc.core || m.DefaultUpgrade != tc.du {
			t.Errorf("%s %s: repositories %v core %v default_upgrade %v, want %v %v %v",
				tc.module, tc.version, v.Repositories, m.Core, m.DefaultUpgrade, tc.repos, tc.core, tc.du)
		}
	}

	only30 := listJSON(t, dir, "--repository", "3.0")
	for _, m := range only30 {
		for _, v := range m.Versions {
			if !slices.Contains(v.Repositories, "3.0") {
				t.Errorf("list --repository 3.0 shows %s %s placed in %v", m.Name, v.Version, v.Repositories)
			}
		}
	}
	if _, _, ok := findVersion(only30, "warehouse", "2.0.0"); !ok {
		t.Errorf("list --repository 3.0 lacks warehouse 2.0.0: %+v", only30)
	}
}

func TestExtendWidensAndPlacesInBothSeries(t *testing.T) {
	t.Parallel()
	dir, _ := publishedRepo(t)
	out := mustRun(t, "extend", "--dir", dir, "localization-es", "1.2.0", "--depends", "core>=2.50.0,<3.1")
	for _, re := range []string{
		`extended localization-es 1\.2\.0 -> localization-es 1\.2\.0\.1\n`,
		`depends was: core>=2\.50\.0\n`,
		`depends now: core>=2\.50\.0,<3\.1\n`,
		`repositories: 2\.50, 3\.0\n`,
		`DEPENDENCY\s+LATEST\s+MATURITY`,
		`core>=2\.50\.0,<3\.1\s+3\.0\.0\s+confirmed-stable`,
	} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("extend output does not match %s:\n%s", re, out)
		}
	}
	_, v, ok := findVersion(listJSON(t, dir), "localization-es", "1.2.0.1")
	if !ok {
		t.Fatal("list lacks the extended version localization-es 1.2.0.1")
	}
	if !slices.Equal(v.Repositories, []string{"2.50", "3.0"}) || v.ExtendedFrom != "1.2.0" || !slices.Equal(v.Depends, []string{"core>=2.50.0,<3.1"}) {
		t.Errorf("localization-es 1.2.0.1 = %+v, want repositories [2.50 3.0], extended from 1.2.0, depends [core>=2.50.0,<3.1]", v)
	}

	// A second extension of the same version takes the next free number and
	// reports every dependency's latest version and maturity.
	var ext repo.Extended
	mustJSON(t, &ext, "extend", "--dir", dir, "localization-es", "1.2.0", "--depends", "core>=2.50.0 none")
	if ext.Version != "1.2.0.2" || ext.From != "1.2.0" {
		t.Errorf("second extend = %s from %s, want 1.2.0.2 from 1.2.0", ext.Version, ext.From)
	}
	if len(ext.Dependencies) != 1 || ext.Dependencies[0].Latest != "3.0.0" || ext.Dependencies[0].Maturity != "confirmed-stable" {
		t.Errorf("extend --json dependencies = %+v, want core latest 3.0.0 confirmed-stable", ext.Dependencies)
	}
}

func TestLogShowsExtendWithActorAndDepends(t *testing.T) {
	t.Parallel()
	dir, _ := publishedRepo(t)
	mustRun(t, "extend", "--dir", dir, "localization-es", "1.2.0", "--depends", "core>=2.50.0,<3.1")
	actor := localActor(t)
	out := mustRun(t, "log", "--dir", dir, "--module", "localization-es")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("log --module localization-es shows %d entries, want publish and extend:\n%s", len(lines), out)
	}
	ext := lines[1]
	for _, want := range []string{actor, "extend", "localization-es 1.2.0.1", "depends [core>=2.50.0] -> [core>=2.50.0,<3.1]"} {
		if !strings.Contains(ext, want) {
			t.Errorf("log line for the extend lacks %q: %s", want, ext)
		}
	}

	var entries []repo.LogEntry
	mustJSON(t, &entries, "log", "--dir", dir)
	if len(entries) != len(sample.Catalog())+2 { // init's admin token, the publishes, the extend
		t.Fatalf("log --json has %d entries, want %d", len(entries), len(sample.Catalog())+2)
	}
	last := entries[len(entries)-1]
	if last.Action != "extend" || last.Actor != actor || last.Module != "localization-es" || last.Version != "1.2.0.1" {
		t.Errorf("last log entry = %+v, want extend of localization-es 1.2.0.1 by %s", last, actor)
	}
	if _, err := time.Parse(time.RFC3339Nano, last.At); err != nil {
		t.Errorf("log entry time %q is not RFC 3339: %v", last.At, err)
	}
	if first := entries[0]; first.Action != "token-add" || first.Actor != "local:init" || first.Result != repo.ResultOK {
		t.Errorf("first log entry = %+v, want init's admin token", first)
	}
	if second := entries[1]; second.Action != "publish" || second.Module != "core" || second.Version != "2.50.20" {
		t.Errorf("second log entry = %+v, want the publish of core 2.50.20", second)
	}
}

func TestMaturity(t *testing.T) {
	t.Parallel()
	dir, _ := publishedRepo(t)
	out := mustRun(t, "maturity", "--dir", dir, "reports", "0.9.0", "qa-approved")
	if !strings.Contains(out, "reports 0.9.0 is now qa-approved") {
		t.Errorf("maturity output = %q", out)
	}
	if _, v, _ := findVersion(listJSON(t, dir), "reports", "0.9.0"); v.Maturity != "qa-approved" {
		t.Errorf("after maturity, list shows reports 0.9.0 as %q, want qa-approved", v.Maturity)
	}
	var entries []repo.LogEntry
	mustJSON(t, &entries, "log", "--dir", dir, "--module", "reports")
	if last := entries[len(entries)-1]; last.Action != "maturity" || last.Detail != "beta -> qa-approved" {
		t.Errorf("maturity log entry = %+v, want detail 'beta -> qa-approved'", last)
	}
}

func TestDefaultUpgrade(t *testing.T) {
	t.Parallel()
	dir, _ := publishedRepo(t)
	out := mustRun(t, "default-upgrade", "--dir", dir, "warehouse", "false")
	if !strings.Contains(out, "warehouse: default_upgrade = false") {
		t.Errorf("default-upgrade output = %q", out)
	}
	m, _, _ := findVersion(listJSON(t, dir), "warehouse", "1.0.0")
	if m.DefaultUpgrade {
		t.Error("after default-upgrade warehouse false, list still shows default_upgrade true")
	}
	if !regexp.MustCompile(`(?m)^warehouse \(no default upgrade\)\s+1\.0\.0`).MatchString(mustRun(t, "list", "--dir", dir)) {
		t.Error("list text does not mark warehouse '(no default upgrade)'")
	}
	mustRun(t, "default-upgrade", "--dir", dir, "arp", "true")
	if m, _, _ := findVersion(listJSON(t, dir), "arp", "1.4.0"); !m.DefaultUpgrade {
		t.Error("after default-upgrade arp true, list still shows default_upgrade false")
	}
}

func TestTokenAddListRevoke(t *testing.T) {
	t.Parallel()
	dir, admin := initRepo(t)
	out := mustRun(t, "token", "add", "--dir", dir, "ci-warehouse", "--modules", "warehouse")
	tok := strings.TrimSpace(out)
	if !tokenRE.MatchString(tok) || tok == admin {
		t.Fatalf("token add printed %q, want a new upk_ token", out)
	}
	list := mustRun(t, "token", "list", "--dir", dir)
	if strings.Contains(list, tok) || strings.Contains(list, admin) {
		t.Errorf("token list reveals a token value:\n%s", list)
	}
	if !regexp.MustCompile(`(?m)^ci-warehouse\s+publisher\s+warehouse\s+active$`).MatchString(list) ||
		!regexp.MustCompile(`(?m)^admin\s+admin\s+active$`).MatchString(list) {
		t.Errorf("token list does not show both active tokens:\n%s", list)
	}

	mustRun(t, "token", "revoke", "--dir", dir, "ci-warehouse")
	var toks []repo.TokenInfo
	mustJSON(t, &toks, "token", "list", "--dir", dir)
	if len(toks) != 2 {
		t.Fatalf("token list --json = %+v, want 2 tokens", toks)
	}
	for _, ti := range toks {
		if revoked := ti.RevokedAt != nil; revoked != (ti.Name == "ci-warehouse") {
			t.Errorf("token %s revoked=%v after revoking ci-warehouse", ti.Name, revoked)
		}
	}

	// Revoked tokens and the admin token authenticate as expected.
	s, err := repo.Open(dir, repo.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Authenticate(t.Context(), tok); repo.KindOf(err) != repo.KindUnauthorized {
		t.Errorf("revoked token authenticates: err = %v", err)
	}
	if a, err := s.Authenticate(t.Context(), admin); err != nil || a.Role != repo.RoleAdmin {
		t.Errorf("admin token from init: actor %+v, err %v", a, err)
	}
}

// timestampSnapshot reads an exported repository's timestamp and returns its
// own version and the snapshot version it names.
func timestampSnapshot(t *testing.T, path string) (int64, int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ts struct {
		Signed struct {
			Version int64 `json:"version"`
			Meta    map[string]struct {
				Version int64 `json:"version"`
			} `json:"meta"`
		} `json:"signed"`
	}
	if err := json.Unmarshal(data, &ts); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return ts.Signed.Version, ts.Signed.Meta[meta.SnapshotFile].Version
}

// exportTree exports dir into a new temp dir and returns it with its files.
func exportTree(t *testing.T, dir string) (string, map[string]bool) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "export")
	mustRun(t, "export", "--dir", dir, out)
	files := map[string]bool{}
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		files[filepath.ToSlash(rel)] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, files
}

func TestExportWritesStaticTree(t *testing.T) {
	t.Parallel()
	dir, archives := publishedRepo(t)
	out := filepath.Join(t.TempDir(), "export")
	var res repo.ExportResult
	mustJSON(t, &res, "export", "--dir", dir, out)
	if !slices.Equal(res.Repositories, []string{"2.50", "3.0"}) {
		t.Errorf("export repositories = %v, want [2.50 3.0]", res.Repositories)
	}
	n := 0
	var size int64
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			st, _ := d.Info()
			n++
			size += st.Size()
		}
		return err
	})
	if n != res.Files || size != res.Bytes {
		t.Errorf("export reported %d files / %d bytes, the tree holds %d / %d", res.Files, res.Bytes, n, size)
	}
	for _, p := range []string{"root.json", "roots/1.root.json", "2.50/metadata/1.root.json", "3.0/metadata/timestamp.json"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("export lacks %s: %v", p, err)
		}
	}
	for _, r := range res.Repositories {
		_, snap := timestampSnapshot(t, filepath.Join(out, r, "metadata", "timestamp.json"))
		if _, err := os.Stat(filepath.Join(out, r, "metadata", fmt.Sprintf("%d.snapshot.json", snap))); err != nil {
			t.Errorf("%s: timestamp names snapshot v%d, which the export lacks: %v", r, snap, err)
		}
		if _, err := os.Stat(filepath.Join(out, r, "metadata", "1.targets.json")); err != nil {
			t.Errorf("%s: export lacks targets: %v", r, err)
		}
	}
	for _, a := range archives {
		data, err := os.ReadFile(a)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		got, err := os.ReadFile(filepath.Join(out, "archives", hex.EncodeToString(sum[:])+".zip"))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("export archives/%x.zip (%s): err %v, identical %v", sum[:6], filepath.Base(a), err, bytes.Equal(got, data))
		}
	}

	text := mustRun(t, "export", "--dir", dir, filepath.Join(t.TempDir(), "only30"), "--repository", "3.0")
	if !strings.HasPrefix(text, "exported 3.0: ") {
		t.Errorf("export --repository 3.0 printed %q", text)
	}
}

func TestRenewAndResign(t *testing.T) {
	t.Parallel()
	dir, archives := publishedRepo(t)
	if out := mustRun(t, "renew", "--dir", dir); strings.TrimSpace(out) != "nothing to renew" {
		t.Errorf("renew of fresh signatures printed %q, want 'nothing to renew'", out)
	}
	_, before := exportTree(t, dir)
	out := mustRun(t, "resign", "--dir", dir)
	if !regexp.MustCompile(`^re-signed 2\.50, 3\.0 in \S+\n$`).MatchString(out) {
		t.Errorf("resign printed %q", out)
	}
	exp, after := exportTree(t, dir)
	tsV, snapV := timestampSnapshot(t, filepath.Join(exp, "2.50", "metadata", "timestamp.json"))
	if !after[fmt.Sprintf("2.50/metadata/%d.snapshot.json", snapV)] || before[fmt.Sprintf("2.50/metadata/%d.snapshot.json", snapV)] {
		t.Errorf("resign did not sign a new snapshot (timestamp v%d names snapshot v%d)", tsV, snapV)
	}
	if !after["2.50/metadata/2.targets.json"] {
		t.Error("resign did not sign targets v2")
	}

	// A repository whose timestamps expire at once: renew re-signs them.
	short := filepath.Join(t.TempDir(), "short")
	exp7 := meta.DefaultExpiry()
	exp7.Timestamp = time.Millisecond
	if _, err := repo.Init(short, repo.InitOptions{Expiry: exp7}); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "publish", "--dir", short, archives[0], archives[3])
	out = mustRun(t, "renew", "--dir", short)
	if !strings.Contains(out, "renewed 2.50: timestamp") || !strings.Contains(out, "renewed 3.0: timestamp") {
		t.Errorf("renew of expired timestamps printed %q", out)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	t.Parallel()
	dir, _ := publishedRepo(t)
	for _, tc := range []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"unknown flag", []string{"list", "--dir", dir, "--bogus"}, []string{"unknown flag: --bogus"}},
		{"unknown command", []string{"frobnicate", "--dir", dir}, []string{"frobnicate"}},
		{"unknown token subcommand", []string{"token", "revok", "admin", "--dir", dir}, []string{"revok"}},
		{"init without dir", []string{"init"}, []string{"DIR"}},
		{"publish without archive", []string{"publish", "--dir", dir}, []string{"ARCHIVE"}},
		{"extend without version", []string{"extend", "--dir", dir, "localization-es"}, []string{"MODULE VERSION"}},
		{"extend without depends", []string{"extend", "--dir", dir, "localization-es", "1.2.0"}, []string{"--depends"}},
		{"extend with bad depends", []string{"extend", "--dir", dir, "localization-es", "1.2.0", "--depends", "core>>2"}, []string{"core>>2"}},
		{"maturity without level", []string{"maturity", "--dir", dir, "reports", "0.9.0"}, []string{"MODULE VERSION LEVEL"}},
		{"bad maturity word", []string{"maturity", "--dir", dir, "reports", "0.9.0", "stable"}, []string{`"stable"`, "confirmed-stable"}},
		{"default-upgrade not a bool", []string{"default-upgrade", "--dir", dir, "arp", "maybe"}, []string{`"maybe"`, "true or false"}},
		{"list with argument", []string{"list", "--dir", dir, "extra"}, []string{"no arguments"}},
		{"token add without name", []string{"token", "add", "--dir", dir}, []string{"NAME"}},
		{"server without token", []string{"list", "--server", "http://127.0.0.1:1"}, []string{"--token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.args...)
			if code != cli.ExitUsage {
				t.Fatalf("exit %d, want %d (usage)\nstdout: %s\nstderr: %s", code, cli.ExitUsage, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if !strings.Contains(errOut, "upkeep-repo --help") {
				t.Errorf("stderr does not point to --help:\n%s", errOut)
			}
		})
	}
}

func TestOperationFailuresExit1(t *testing.T) {
	t.Parallel()
	dir, archives := publishedRepo(t)
	empty := t.TempDir()
	notZip := filepath.Join(t.TempDir(), "not.zip")
	os.WriteFile(notZip, []byte("not a zip"), 0o644)
	orphan := filepath.Join(t.TempDir(), "orphan.zip")
	data, err := sample.Module{Name: "orphan", Version: "1.0.0", Summary: "x", Maturity: "beta", Depends: []string{"nosuch>=1.0"}}.Archive()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(orphan, data, 0o644)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"duplicate publish", []string{"publish", "--dir", dir, archiveNamed(t, archives, "core-2.50.20.zip")},
			[]string{"core-2.50.20.zip", "core 2.50.20 is already published", "publish a new version"}},
		{"narrowing extend", []string{"extend", "--dir", dir, "localization-es", "1.2.0", "--depends", "core>=2.50.5"},
			[]string{"extend localization-es 1.2.0 refused", `"core"`, "may only widen", "keep every version the old range allows"}},
		{"extend adding a dependency", []string{"extend", "--dir", dir, "localization-es", "1.2.0", "--depends", "core>=2.50.0", "--depends", "arp>=1.3.0"},
			[]string{"localization-es 1.2.0", `"arp"`, "is new"}},
		{"extend unchanged", []string{"extend", "--dir", dir, "localization-es", "1.2.0", "--depends", "core>=2.50.0"},
			[]string{"localization-es 1.2.0", "equal the current ones"}},
		{"extend unknown module", []string{"extend", "--dir", dir, "nosuch", "1.0.0", "--depends", "core>=2.50.0"},
			[]string{"nosuch 1.0.0 is not published", "upkeep-repo list"}},
		{"maturity unknown version", []string{"maturity", "--dir", dir, "core", "9.9.9", "beta"},
			[]string{"core 9.9.9 is not published", "upkeep-repo list"}},
		{"default-upgrade unknown module", []string{"default-upgrade", "--dir", dir, "nosuch", "true"},
			[]string{"module nosuch is not published", "upkeep-repo list"}},
		{"not a repository", []string{"list", "--dir", empty},
			[]string{empty, "not an upkeep repository", "upkeep-repo init"}},
		{"init over a repository", []string{"init", dir}, []string{dir, "already holds a repository", "empty directory"}},
		{"publish missing file", []string{"publish", "--dir", dir, filepath.Join(empty, "gone.zip")}, []string{"gone.zip"}},
		{"publish not a zip", []string{"publish", "--dir", dir, notZip}, []string{"not.zip", "archive rejected"}},
		{"publish unknown dependency", []string{"publish", "--dir", dir, orphan},
			[]string{"orphan 1.0.0 depends on nosuch", "publish nosuch first"}},
		{"revoke unknown token", []string{"token", "revoke", "--dir", dir, "nosuch"}, []string{`no active token named "nosuch"`}},
		{"publisher token without modules", []string{"token", "add", "--dir", dir, "p"}, []string{"--modules"}},
		{"serve on a busy port", []string{"serve", "--dir", dir, "--addr", busy.Addr().String()},
			[]string{"listen on " + busy.Addr().String(), "--addr"}},
		{"export unknown repository", []string{"export", "--dir", dir, filepath.Join(empty, "x"), "--repository", "9.9"},
			[]string{`no repository "9.9"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.args...)
			if code != cli.ExitError {
				t.Fatalf("exit %d, want %d (operation failed)\nstdout: %s\nstderr: %s", code, cli.ExitError, out, errOut)
			}
			if !strings.HasPrefix(errOut, "upkeep-repo: ") {
				t.Errorf("stderr does not start with 'upkeep-repo: ':\n%s", errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
	// None of the failures changed what is published.
	if n := len(listJSON(t, dir)); n != 5 {
		t.Errorf("after the failures list shows %d modules, want 5", n)
	}
}

func TestPublishReportsWhatWasPublishedBeforeAFailure(t *testing.T) {
	t.Parallel()
	dir, _ := initRepo(t)
	archives := sampleArchives(t)
	orphan := filepath.Join(t.TempDir(), "orphan.zip")
	data, err := sample.Module{Name: "orphan", Version: "1.0.0", Summary: "x", Maturity: "beta", Depends: []string{"nosuch>=1.0"}}.Archive()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(orphan, data, 0o644)
	code, out, errOut := run(t, "publish", "--dir", dir, orphan, archiveNamed(t, archives, "core-2.50.20.zip"), archiveNamed(t, archives, "core-3.0.0.zip"))
	if code != cli.ExitError || !strings.Contains(errOut, "orphan 1.0.0 depends on nosuch") {
		t.Fatalf("publish with an unknown dependency: exit %d, stderr %q; want 1 naming it", code, errOut)
	}
	if _, _, ok := findVersion(listJSON(t, dir), "core", "3.0.0"); !ok {
		t.Fatal("core 3.0.0, before the failure, was not published")
	}
	// The two archives published before the failing one: say so.
	for _, want := range []string{"published core 2.50.20", "published core 3.0.0"} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("publish stopped at a failure without reporting %q, which it did publish\nstdout: %q\nstderr: %q", want, out, errOut)
		}
	}
}

// TestPublishBatchInDependencyOrder: a batch given in alphabetical order
// (a shell glob) is published dependencies first, the cores before all.
func TestPublishBatchInDependencyOrder(t *testing.T) {
	t.Parallel()
	dir, _ := initRepo(t)
	archives := sampleArchives(t)
	slices.Sort(archives)
	out := mustRun(t, append([]string{"publish", "--dir", dir}, archives...)...)
	if n := strings.Count(out, "published "); n != len(archives) {
		t.Fatalf("published %d of %d archives:\n%s", n, len(archives), out)
	}
	if i, j := strings.Index(out, "published core 3.0.0"), strings.Index(out, "published arp"); i < 0 || j < i {
		t.Errorf("arp published before the cores:\n%s", out)
	}
}

// TestPublishBatchCheckedBeforeAnyPublish: a version given twice, or an
// archive that is not one, publishes nothing of the batch.
func TestPublishBatchCheckedBeforeAnyPublish(t *testing.T) {
	t.Parallel()
	dir, _ := initRepo(t)
	archives := sampleArchives(t)
	core := archiveNamed(t, archives, "core-2.50.20.zip")
	notZip := filepath.Join(t.TempDir(), "not.zip")
	os.WriteFile(notZip, []byte("not a zip"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{core, archiveNamed(t, archives, "core-3.0.0.zip"), core}, cli.ExitUsage, "core 2.50.20 is given twice"},
		{[]string{core, notZip}, cli.ExitError, "not.zip: archive rejected"},
	} {
		code, out, errOut := run(t, append([]string{"publish", "--dir", dir}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "nothing was published") || out != "" {
			t.Errorf("publish %v: exit %d, stdout %q, stderr %q; want %d naming %q and nothing published", tc.args, code, out, errOut, tc.code, tc.want)
		}
	}
	if n := len(listJSON(t, dir)); n != 0 {
		t.Errorf("list shows %d modules after refused batches, want 0", n)
	}
}

// TestPublishBeforeAnyCoreSaysPublishTheCore: in a fresh repository a
// module needs its core's series first; the message says so, not an empty list.
func TestPublishBeforeAnyCoreSaysPublishTheCore(t *testing.T) {
	t.Parallel()
	dir, _ := initRepo(t)
	free := filepath.Join(t.TempDir(), "free.zip")
	data, err := sample.Module{Name: "free", Version: "1.0.0", Summary: "x", Maturity: "beta"}.Archive()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(free, data, 0o644)
	code, _, errOut := run(t, "publish", "--dir", dir, free)
	if code != cli.ExitError || !strings.Contains(errOut, "no core is published yet") || strings.Contains(errOut, ": ;") {
		t.Errorf("publish before a core: exit %d, stderr %q", code, errOut)
	}
}

func TestJSONFlagAlwaysPrintsJSON(t *testing.T) {
	t.Parallel()
	dir, _ := publishedRepo(t)
	for _, args := range [][]string{
		{"maturity", "reports", "0.9.0", "qa-approved"},
		{"default-upgrade", "warehouse", "false"},
		{"token", "add", "ci", "--modules", "warehouse"},
		{"renew"},
		{"resign"},
	} {
		t.Run(strings.Join(args[:1], " "), func(t *testing.T) {
			out := mustRun(t, append(args, "--dir", dir, "--json")...)
			if !json.Valid([]byte(out)) {
				t.Errorf("upkeep-repo %s --json printed text, not JSON: %q", strings.Join(args, " "), out)
			}
		})
	}
}

func TestAdvisoryAddIsListedAndLogged(t *testing.T) {
	t.Parallel()
	dir, _ := publishedRepo(t)
	out := mustRun(t, "advisory", "add", "--dir", dir, "arp", "1.4.0", "--id", "UPK-2026-0007", "--severity", "high",
		"--title", "Payment run skips the approval", "--affects", "<1.4.0", "--url", "https://example.com/a")
	if !strings.Contains(out, "arp 1.4.0 now carries advisory UPK-2026-0007 (high, affects <1.4.0): Payment run skips the approval") {
		t.Errorf("advisory add output = %q", out)
	}
	var entries []repo.LogEntry
	mustJSON(t, &entries, "log", "--dir", dir, "--module", "arp")
	if last := entries[len(entries)-1]; last.Action != "advisory" || last.Version != "1.4.0" || last.Actor != localActor(t) {
		t.Errorf("advisory log entry = %+v", last)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--severity", "urgent", "--affects", "<1.4.0"}, cli.ExitUsage, `severity "urgent" is not known`},
		{[]string{"--severity", "low"}, cli.ExitUsage, "--affects is missing"},
		{[]string{"--severity", "low", "--affects", "1.4.0"}, cli.ExitUsage, "--affects: constraint"},
		{[]string{"--severity", "low", "--affects", "<1.4.0", "--title", "a"}, cli.ExitError, "already carries advisory"},
	} {
		args := append([]string{"advisory", "add", "--dir", dir, "arp", "1.4.0", "--id", "UPK-2026-0007", "--title", "t"}, tc.args...)
		code, _, errOut := run(t, args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, errOut, tc.code, tc.want)
		}
	}
}
