package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/catalog"
)

// rel builds a release from "name version[: dep; dep…]" and options.
type relSpec struct {
	module string
	repo   string
	rel    catalog.Release
}

type relOpt func(*relSpec)

func patch() relOpt                      { return func(r *relSpec) { r.rel.Patch = true } }
func maturity(m catalog.Maturity) relOpt { return func(r *relSpec) { r.rel.Maturity = m } }
func inRepo(name string) relOpt          { return func(r *relSpec) { r.repo = name } }
func upgradeFrom(v string) relOpt {
	return func(r *relSpec) { u := catalog.MustParseVersion(v); r.rel.UpgradeFrom = &u }
}
func script(phase, path, to string) relOpt {
	return func(r *relSpec) {
		r.rel.Scripts = append(r.rel.Scripts, catalog.Script{Phase: phase, Path: path, To: catalog.MustParseVersion(to)})
	}
}

func rel(t testing.TB, spec string, opts ...relOpt) relSpec {
	t.Helper()
	head, deps, _ := strings.Cut(spec, ":")
	f := strings.Fields(head)
	if len(f) != 2 {
		t.Fatalf("bad release spec %q", spec)
	}
	r := relSpec{module: f[0], repo: "main"}
	r.rel = catalog.Release{Version: catalog.MustParseVersion(f[1]), Summary: f[0] + " " + f[1],
		Maturity: catalog.MaturityConfirmedStable, Archive: fakeArchive(f[0], f[1]), Published: time.Unix(0, 0).UTC()}
	for _, d := range strings.Split(deps, ";") {
		if strings.TrimSpace(d) == "" {
			continue
		}
		dep, err := catalog.ParseDependency(d)
		if err != nil {
			t.Fatalf("release %q: %v", spec, err)
		}
		r.rel.Depends = append(r.rel.Depends, dep)
	}
	for _, o := range opts {
		o(&r)
	}
	return r
}

func fakeArchive(name, version string) catalog.ArchiveRef {
	sum := sha256.Sum256([]byte(name + "@" + version))
	h := hex.EncodeToString(sum[:])
	return catalog.ArchiveRef{Path: "archives/" + h + ".zip", Length: 4096, SHA256: h}
}

// listings groups releases into listings per (repository, module), in the
// order repositories first appear; modules in noDU have default_upgrade false.
func listings(rels []relSpec, noDU ...string) []*catalog.Listing {
	var out []*catalog.Listing
	at := map[string]*catalog.Listing{}
	for _, r := range rels {
		key := r.repo + "/" + r.module
		l := at[key]
		if l == nil {
			l = &catalog.Listing{Schema: catalog.ListingSchema, Repository: r.repo, Module: r.module, DefaultUpgrade: true}
			for _, n := range noDU {
				if n == r.module {
					l.DefaultUpgrade = false
				}
			}
			at[key] = l
			out = append(out, l)
		}
		l.Versions = append(l.Versions, r.rel)
	}
	return out
}

func index(t testing.TB, rels []relSpec, noDU ...string) *Index {
	t.Helper()
	x, err := NewIndex(listings(rels, noDU...))
	if err != nil {
		t.Fatalf("NewIndex: %v", err)
	}
	return x
}

// inst builds an installed set from "name version" pairs; the first is the core.
func inst(pairs ...string) []Installed {
	out := make([]Installed, len(pairs))
	for i, p := range pairs {
		name, v, _ := strings.Cut(p, " ")
		out[i] = Installed{Module: name, Version: catalog.MustParseVersion(v), Core: i == 0, Source: "erp"}
	}
	return out
}

func mustScan(t testing.TB, x *Index, installed []Installed, pol Policy) *Report {
	t.Helper()
	r, err := Scan(x, installed, pol)
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return r
}

// names writes candidates as "module to" strings.
func names(cs []Candidate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Module + " " + c.To.String()
	}
	return out
}

func findCandidate(cs []Candidate, module, to string) *Candidate {
	for i := range cs {
		if cs[i].Module == module && cs[i].To.String() == to {
			return &cs[i]
		}
	}
	return nil
}

func changes(cs []Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = strings.Join(strings.Fields(itoa(c.Stage)+" "+c.Module+" "+c.From.String()+" "+c.To.String()), " ")
	}
	return out
}

func itoa(n int) string { return string(rune('0' + n)) }

func disableNames(w *Why) []string {
	if w == nil {
		return nil
	}
	out := make([]string, len(w.Disable))
	for i, d := range w.Disable {
		out[i] = d.Module
	}
	return out
}

func hasText(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
