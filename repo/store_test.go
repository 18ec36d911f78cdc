package repo

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/repo/meta"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

func TestPublishPlacesByCoreSeries(t *testing.T) {
	s, _ := newTestStore(t)
	publishSample(t, s)
	mustPublish(t, s, mod("bridge", "1.0.0", "core>=2.50.0,<3.1"))
	mustPublish(t, s, mod("arp-ext", "2.0.0", "arp>=2.0.0"))
	mustPublish(t, s, mod("arp-any", "1.0.0", "arp>=1.3.0 none"))
	got := placements(t, s)
	want := map[string]string{
		"core 2.50.20": "2.50", "core 2.50.22": "2.50", "core 3.0.0": "3.0",
		"arp 1.3.0": "2.50", "arp 1.4.0": "2.50", "arp 2.0.0": "3.0",
		"localization-es 1.2.0": "2.50", "reports 0.9.0": "2.50",
		"warehouse 1.0.0": "2.50", "warehouse 2.0.0": "3.0",
		"bridge 1.0.0":  "2.50,3.0", // directly on both core series
		"arp-ext 2.0.0": "3.0",      // through arp 2.0.0, which needs core 3.0
		"arp-any 1.0.0": "2.50,3.0", // arp 1.x is in 2.50, arp 2.0 in 3.0
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s placed in %q, want %q", k, got[k], w)
		}
	}
}

func TestNewCoreSeriesWidensOpenDependents(t *testing.T) {
	s, _ := newTestStore(t)
	publishSample(t, s)
	mustPublish(t, s, mod("open", "1.0.0", "core>=2.50.0 none"))
	if got := placements(t, s)["open 1.0.0"]; got != "2.50,3.0" {
		t.Fatalf("open 1.0.0 in %q, want 2.50,3.0", got)
	}
	core31 := sample.Module{Name: "core", Version: "3.1.0", Core: true, DefaultUpgrade: true, Maturity: "beta", UpgradeFrom: "3.0.0"}
	p := mustPublish(t, s, core31)
	if len(p.Widened) == 0 || !strings.Contains(strings.Join(p.Widened, ";"), "open 1.0.0 now also in 3.1") {
		t.Errorf("publish of core 3.1.0 should report that open 1.0.0 widened, got %v", p.Widened)
	}
	if got := placements(t, s)["open 1.0.0"]; got != "2.50,3.0,3.1" {
		t.Errorf("open 1.0.0 in %q after core 3.1.0, want 2.50,3.0,3.1", got)
	}
	if got := placements(t, s)["localization-es 1.2.0"]; got != "2.50" {
		t.Errorf("major-enforced localization-es must stay in 2.50, got %q", got)
	}
}

func TestPublishRejectsAndLeavesStateUnchanged(t *testing.T) {
	ctx := t.Context()
	s, _ := newTestStore(t)
	publishSample(t, s)
	valid := func(name, version string, deps ...string) []byte {
		data, err := mod(name, version, deps...).Archive()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	hostile := func(name string) []byte {
		return zipOf(t, map[string]string{"upkeep.toml": mod("evil", "1.0.0", "core>=2.50.0").Manifest(), name: "x"})
	}
	cases := []struct {
		name string
		data []byte
		kind Kind
		want string
	}{
		{"duplicate version", valid("arp", "1.4.0", "core>=2.50.20"), KindConflict, "arp 1.4.0 is already published"},
		{"same version spelled differently", valid("arp", "1.4.0.0", "core>=2.50.20"), KindConflict, "already published"},
		{"unknown dependency", valid("payroll", "1.0.0", "core>=2.50.0", "hr>=1.0.0"), KindInvalid, "depends on hr, which is not published"},
		{"no repository reachable", valid("future", "1.0.0", "core>=9.0.0"), KindInvalid, "reaches no repository"},
		{"conflicting series", valid("mix", "1.0.0", "arp>=2.0.0", "localization-es>=1.2.0"), KindInvalid, "cannot all be met in one core series"},
		{"cycle", valid("core-extra", "1.0.0", "arp>=1.3.0"), KindInvalid, ""},
		{"parent path", hostile("../../etc/passwd"), KindInvalid, "archive rejected"},
		{"absolute path", hostile("/etc/passwd"), KindInvalid, "archive rejected"},
		{"not a zip", []byte("this is not a zip"), KindInvalid, "archive rejected"},
		{"bad manifest", zipOf(t, map[string]string{"upkeep.toml": "name = \"x\"\nversion = \"one\"\n"}), KindInvalid, "archive rejected"},
		{"no manifest", zipOf(t, map[string]string{"README": "hi"}), KindInvalid, "upkeep.toml"},
		{"core flag flip", valid("warehouse", "3.0.0", "core>=3.0.0"), KindInvalid, ""},
	}
	// make the cycle case real: arp 1.5.0 depending on core-extra, which depends on arp
	mustPublish(t, s, mod("core-extra", "0.1.0", "core>=2.50.0"))
	mustPublish(t, s, mod("arp", "1.5.0", "core>=2.50.0", "core-extra>=0.1.0"))
	flip := sample.Module{Name: "warehouse", Version: "3.0.0", Core: true, Maturity: "beta"}
	cases[len(cases)-1].data, _ = flip.Archive()
	before := fingerprint(t, s)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Publish(ctx, tc.data, admin)
			if err == nil {
				t.Fatal("publish succeeded, want an error")
			}
			if KindOf(err) != tc.kind {
				t.Errorf("kind %v, want %v (err: %v)", KindOf(err), tc.kind, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if after := fingerprint(t, s); after != before {
				t.Errorf("state changed after a refused publish")
			}
		})
	}
}

func TestCycleIsNamed(t *testing.T) {
	ctx := t.Context()
	s, _ := newTestStore(t)
	publishSample(t, s)
	mustPublish(t, s, mod("a", "1.0.0", "core>=2.50.0"))
	mustPublish(t, s, mod("b", "1.0.0", "core>=2.50.0", "a>=1.0.0"))
	data, _ := mod("a", "1.1.0", "core>=2.50.0", "b>=1.0.0").Archive()
	_, err := s.Publish(ctx, data, admin)
	if err == nil || !strings.Contains(err.Error(), "dependency cycle: a -> b -> a") {
		t.Fatalf("want a named cycle a -> b -> a, got %v", err)
	}
}

func TestExtendWidensAndPublishesNewVersion(t *testing.T) {
	ctx := t.Context()
	s, _ := newTestStore(t)
	publishSample(t, s)
	deps := mustDeps(t, "core>=2.50.0,<3.1")
	ext, err := s.Extend(ctx, "localization-es", "1.2.0", deps, admin)
	if err != nil {
		t.Fatalf("Extend: %v", err)
	}
	if ext.Version != "1.2.0.1" || strings.Join(ext.Repositories, ",") != "2.50,3.0" {
		t.Errorf("extended to %s in %v, want 1.2.0.1 in 2.50,3.0", ext.Version, ext.Repositories)
	}
	if len(ext.Dependencies) != 1 || ext.Dependencies[0].Latest != "3.0.0" || ext.Dependencies[0].Maturity != "confirmed-stable" {
		t.Errorf("dependency status %+v, want core latest 3.0.0 confirmed-stable", ext.Dependencies)
	}
	arc := storedManifest(t, s, "localization-es", "1.2.0.1")
	if arc.Version.String() != "1.2.0.1" || arc.Depends[0].String() != "core>=2.50.0,<3.1" {
		t.Errorf("archive manifest says %s %v", arc.Version, arc.Depends)
	}
	again, err := s.Extend(ctx, "localization-es", "1.2.0.1", mustDeps(t, "core>=2.50.0 none"), admin)
	if err != nil || again.Version != "1.2.0.2" {
		t.Fatalf("second extend: %v, version %v; want 1.2.0.2", err, again)
	}
	log, _ := s.Log(ctx, LogFilter{Module: "localization-es"})
	last := log[len(log)-1]
	if last.Action != "extend" || last.Actor != "local:test" || !strings.Contains(last.Detail, "core>=2.50.0,<3.1") {
		t.Errorf("log entry %+v does not record who and what", last)
	}
}

func TestExtendRefusesNarrowingAndNonAdmins(t *testing.T) {
	ctx := t.Context()
	s, _ := newTestStore(t)
	publishSample(t, s)
	before := fingerprint(t, s)
	_, err := s.Extend(ctx, "localization-es", "1.2.0", mustDeps(t, "core>=2.50.5"), admin)
	if KindOf(err) != KindInvalid || !strings.Contains(err.Error(), "widen") {
		t.Errorf("narrowing extend: %v, want an invalid error saying extend may only widen", err)
	}
	_, err = s.Extend(ctx, "localization-es", "1.2.0", mustDeps(t, "core>=2.50.0"), admin)
	if KindOf(err) != KindInvalid {
		t.Errorf("no-op extend: %v, want invalid", err)
	}
	pub := Actor{Name: "vendor", Role: RolePublisher, Modules: []string{"localization-es"}}
	_, err = s.Extend(ctx, "localization-es", "1.2.0", mustDeps(t, "core>=2.50.0 none"), pub)
	if KindOf(err) != KindForbidden {
		t.Errorf("publisher extend: %v, want forbidden", err)
	}
	_, err = s.Extend(ctx, "nosuch", "1.0.0", mustDeps(t, "core>=2.50.0 none"), admin)
	if KindOf(err) != KindNotFound {
		t.Errorf("extend of unknown module: %v, want not found", err)
	}
	if fingerprint(t, s) != before {
		t.Error("a refused extend changed the state")
	}
}

func TestMaturityAndDefaultUpgradeReachListings(t *testing.T) {
	ctx := t.Context()
	s, _ := newTestStore(t)
	publishSample(t, s)
	if err := s.SetMaturity(ctx, "reports", "0.9.0", catalog.MaturityQAApproved, admin); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDefaultUpgrade(ctx, "warehouse", false, admin); err != nil {
		t.Fatal(err)
	}
	l := currentListing(t, s, "2.50", "reports")
	if l.Versions[0].Maturity != catalog.MaturityQAApproved {
		t.Errorf("listing maturity %v, want qa-approved", l.Versions[0].Maturity)
	}
	for _, repo := range []string{"2.50", "3.0"} {
		if currentListing(t, s, repo, "warehouse").DefaultUpgrade {
			t.Errorf("%s listing of warehouse still says default_upgrade", repo)
		}
	}
	if err := s.SetDefaultUpgrade(ctx, "nosuch", false, admin); KindOf(err) != KindNotFound {
		t.Errorf("default-upgrade of unknown module: %v", err)
	}
	other := Actor{Name: "vendor", Role: RolePublisher, Modules: []string{"arp"}}
	if err := s.SetMaturity(ctx, "reports", "0.9.0", catalog.MaturityBeta, other); KindOf(err) != KindForbidden {
		t.Errorf("maturity by another module's publisher: %v, want forbidden", err)
	}
}

func TestConcurrentPublishesNeverTearMetadata(t *testing.T) {
	ctx := t.Context()
	s, _ := newTestStore(t)
	publishSample(t, s)
	other, err := Open(s.Dir(), Options{}) // a second "process": its own connections and lock descriptor
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		st := s
		if i%2 == 1 {
			st = other
		}
		wg.Add(1)
		go func(i int, st *Store) {
			defer wg.Done()
			data, _ := mod(fmt.Sprintf("conc%02d", i), "1.0.0", "core>=2.50.0").Archive()
			if _, err := st.Publish(ctx, data, admin); err != nil {
				errs <- err
			}
		}(i, st)
	}
	stop := make(chan struct{})
	readErrs := make(chan error, 1)
	go func() { readErrs <- readConsistently(s, "2.50", stop) }()
	wg.Wait()
	close(stop)
	close(errs)
	for err := range errs {
		t.Errorf("concurrent publish: %v", err)
	}
	if err := <-readErrs; err != nil {
		t.Errorf("reader saw an inconsistent state: %v", err)
	}
	for i := 0; i < 16; i++ {
		if got := currentListing(t, s, "2.50", fmt.Sprintf("conc%02d", i)); len(got.Versions) != 1 {
			t.Errorf("conc%02d has %d versions", i, len(got.Versions))
		}
	}
	verifyChain(t, s, "2.50")
}

func TestRenewResignsBeforeExpiry(t *testing.T) {
	ctx := t.Context()
	s, c := newTestStore(t)
	publishSample(t, s)
	if done, _ := s.Renew(ctx); len(done) != 0 {
		t.Fatalf("fresh metadata renewed: %v", done)
	}
	c.t = c.t.Add(4 * 24 * time.Hour) // timestamp lives 7 days: past half
	done, err := s.Renew(ctx)
	if err != nil || len(done) != 2 {
		t.Fatalf("Renew after 4 days: %v %v, want both timestamps", done, err)
	}
	c.t = c.t.Add(300 * 24 * time.Hour) // past 3/4 of every role's life
	done, err = s.Renew(ctx)
	if err != nil || len(done) != 2 || !strings.Contains(done[0], "bins") {
		t.Fatalf("Renew after 304 days: %v %v", done, err)
	}
	verifyChain(t, s, "2.50")
}

func TestPruneDropsOnlySupersededDocuments(t *testing.T) {
	ctx := t.Context()
	s, c := newTestStore(t)
	publishSample(t, s)
	mustPublish(t, s, mod("warehouse", "1.0.1", "core>=2.50.20"))
	c.t = c.t.Add(48 * time.Hour)
	n, err := s.Prune(ctx, 24*time.Hour)
	if err != nil || n == 0 {
		t.Fatalf("Prune: %d %v, want some superseded documents removed", n, err)
	}
	verifyChain(t, s, "2.50")
	verifyChain(t, s, "3.0")
}

func TestHostileEntriesNeverReachDisk(t *testing.T) {
	ctx := t.Context()
	s, _ := newTestStore(t)
	publishSample(t, s)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("upkeep.toml")
	w.Write([]byte(mod("evil", "1.0.0", "core>=2.50.0").Manifest()))
	h := &zip.FileHeader{Name: "link"}
	h.SetMode(fs.ModeSymlink | 0o777)
	w, _ = zw.CreateHeader(h)
	w.Write([]byte("/etc/passwd"))
	zw.Close()
	before := fingerprint(t, s)
	_, err := s.Publish(ctx, buf.Bytes(), admin)
	if KindOf(err) != KindInvalid || !strings.Contains(err.Error(), "link") {
		t.Errorf("symlink entry: %v, want an invalid error naming the entry", err)
	}
	if fingerprint(t, s) != before {
		t.Error("state changed")
	}
}

func mustDeps(t *testing.T, in ...string) []catalog.Dependency {
	t.Helper()
	d, err := ParseDepends(in)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func storedManifest(t *testing.T, s *Store, module, version string) *catalog.Manifest {
	t.Helper()
	rel, err := s.loadRelease(s.db, module, version)
	if err != nil {
		t.Fatal(err)
	}
	raw := readFileT(t, s.PublicDir()+"/"+rel.Release.Archive.Path)
	arc, err := catalog.ReadArchive(bytes.NewReader(raw), int64(len(raw)), catalog.DefaultArchiveLimits())
	if err != nil {
		t.Fatal(err)
	}
	return arc.Manifest
}

func currentListing(t *testing.T, s *Store, repo, module string) *catalog.Listing {
	t.Helper()
	var sum string
	if err := s.db.Get(&sum, "SELECT sha256 FROM tuf_targets WHERE repository = ? AND path = ?", repo, ListingPath(module)); err != nil {
		t.Fatalf("no listing of %s in %s: %v", module, repo, err)
	}
	var body []byte
	if err := s.db.Get(&body, "SELECT body FROM blobs WHERE path = ?", repo+"/targets/modules/"+sum+"."+module+".json"); err != nil {
		t.Fatal(err)
	}
	l, err := catalog.ParseListing(body)
	if err != nil {
		t.Fatalf("listing %s/%s does not parse: %v", repo, module, err)
	}
	return l
}

// readConsistently walks timestamp -> snapshot -> every bin -> every
// listing through the blobs, as a client would, until stop.
func readConsistently(s *Store, repo string, stop <-chan struct{}) error {
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		if err := walkChain(s, repo); err != nil {
			return err
		}
	}
}

func verifyChain(t *testing.T, s *Store, repo string) {
	t.Helper()
	if err := walkChain(s, repo); err != nil {
		t.Fatal(err)
	}
}

func walkChain(s *Store, repo string) error {
	var ts struct {
		Signed struct {
			Meta map[string]struct{ Version int64 } `json:"meta"`
		} `json:"signed"`
	}
	if err := getJSON(s, repo+"/metadata/timestamp.json", &ts); err != nil {
		return err
	}
	var snap struct {
		Signed struct {
			Meta map[string]struct{ Version int64 } `json:"meta"`
		} `json:"signed"`
	}
	if err := getJSON(s, fmt.Sprintf("%s/metadata/%d.snapshot.json", repo, ts.Signed.Meta["snapshot.json"].Version), &snap); err != nil {
		return err
	}
	for role, m := range snap.Signed.Meta {
		var bin struct {
			Signed struct {
				Targets map[string]struct{ Hashes map[string]string } `json:"targets"`
			} `json:"signed"`
		}
		if err := getJSON(s, fmt.Sprintf("%s/metadata/%d.%s", repo, m.Version, role), &bin); err != nil {
			return err
		}
		for path, tf := range bin.Signed.Targets {
			stored := meta.Target{Path: path, SHA256: tf.Hashes["sha256"]}.StoredName()
			if err := getJSON(s, repo+"/targets/"+stored, &json.RawMessage{}); err != nil {
				return err
			}
		}
	}
	return nil
}

func getJSON(s *Store, path string, v any) error {
	var body []byte
	if err := s.db.Get(&body, "SELECT body FROM blobs WHERE path = ?", path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

var _ = errors.New
