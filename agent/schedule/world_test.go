package schedule_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/notify"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/schedule"
	"github.com/upkeep-erp/upkeep/agent/schedule/clocktest"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
)

// world plays the repository and the ERP for the scheduler: releases appear
// at given times, the repository can be down, and applying changes the
// installed versions. It is a hand-written fake of schedule.Actions (the
// apply runner is another package's); the store and the webhook are real.
type world struct {
	clock *clocktest.Fake
	mu    sync.Mutex

	installed map[string]catalog.Version
	releases  []release
	outages   [][2]time.Time
	// rehearsalFails and applyFails make those steps fail.
	rehearsalFails, applyFails bool
	// applyUntouched makes the apply fail before the ERP is touched.
	applyUntouched bool
	rehearsalTakes time.Duration // the fake clock moves on by this during a rehearsal
	// narrow, when set, makes Plan keep the changes this policy applies
	// silently when the whole target is not (as the agent's planner does).
	narrow *schedule.Policy

	scans, failed      []time.Time
	staged, rehearsals []string // plan hashes
	applies            []applied
	passed             map[string]bool
}

type release struct {
	at      time.Time
	module  string
	version catalog.Version
	kind    catalog.ChangeKind
	fixes   []catalog.Advisory // the advisories moving to it closes
}

type applied struct {
	at   time.Time
	plan *scan.Plan
}

func newWorld(clock *clocktest.Fake, installed map[string]string) *world {
	w := &world{clock: clock, installed: map[string]catalog.Version{}, passed: map[string]bool{}}
	for m, v := range installed {
		w.installed[m] = catalog.MustParseVersion(v)
	}
	return w
}

func (w *world) publish(at time.Time, module, version string, kind catalog.ChangeKind, fixes ...catalog.Advisory) {
	w.releases = append(w.releases, release{at, module, catalog.MustParseVersion(version), kind, fixes})
}

func (w *world) Scan(ctx context.Context) (*scan.Report, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock.Now()
	w.scans = append(w.scans, now)
	for _, o := range w.outages {
		if !now.Before(o[0]) && now.Before(o[1]) {
			w.failed = append(w.failed, now)
			return nil, errors.New("GET https://cr.example.com/2.50/metadata/timestamp.json: dial tcp 192.0.2.7:443: connect: connection refused")
		}
	}
	r := &scan.Report{Schema: scan.ReportSchema}
	for _, m := range sortedKeys(w.installed) {
		r.Installed = append(r.Installed, scan.InstalledModule{Module: m, Version: w.installed[m]})
	}
	for _, rel := range w.releases {
		from, ok := w.installed[rel.module]
		if !ok || rel.at.After(now) || rel.version.Compare(from) <= 0 {
			continue
		}
		c := scan.Candidate{Module: rel.module, From: from, To: rel.version, Kind: rel.kind, Maturity: catalog.MaturityConfirmedStable,
			Repository: "2.50", Stage: 1, Fixes: rel.fixes}
		if rel.kind == catalog.KindPatch {
			r.Patches = append(r.Patches, c)
		} else {
			r.Updates = append(r.Updates, c)
		}
		r.Target = append(r.Target, scan.Change{Stage: 1, Module: c.Module, From: c.From, To: c.To, Kind: c.Kind, Repository: "2.50", Fixes: c.Fixes})
	}
	return r, nil
}

func (w *world) Plan(r *scan.Report) (*scan.Plan, error) {
	p := w.plan(r.Target)
	if w.narrow != nil && schedule.PlanAction(p, *w.narrow) < schedule.Apply {
		// As the agent's planner does: what may go silently, alone.
		var silent []scan.Change
		for i, c := range p.Changes {
			if w.narrow.ForChange(c) == schedule.Apply {
				silent = append(silent, r.Target[i])
			}
		}
		if len(silent) > 0 {
			p = w.plan(silent)
		}
	}
	return p, nil
}

func (w *world) plan(target []scan.Change) *scan.Plan {
	p := &scan.Plan{Schema: scan.PlanSchema, Disable: []scan.Disable{}, Warnings: []string{}}
	h := sha256.New()
	for _, c := range target {
		p.Changes = append(p.Changes, scan.PlannedChange{Stage: c.Stage, Module: c.Module, From: c.From, To: c.To, Kind: c.Kind,
			Repository: c.Repository, Fixes: c.Fixes})
		io.WriteString(h, c.Module+" "+c.From.String()+" "+c.To.String()+"\n")
	}
	p.Hash = hex.EncodeToString(h.Sum(nil))
	return p
}

func (w *world) Stage(ctx context.Context, p *scan.Plan) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.staged = append(w.staged, p.Hash)
	return nil
}

func (w *world) Rehearse(ctx context.Context, p *scan.Plan) (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rehearsals = append(w.rehearsals, p.Hash)
	w.clock.Advance(w.rehearsalTakes)
	w.passed[p.Hash] = !w.rehearsalFails
	return !w.rehearsalFails, nil
}

func (w *world) RehearsalPassed(ctx context.Context, hash string) (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.passed[hash], nil
}

func (w *world) Apply(ctx context.Context, p *scan.Plan) (schedule.ApplyResult, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.applies = append(w.applies, applied{w.clock.Now(), p})
	if w.applyUntouched {
		return schedule.ApplyResult{RunID: int64(len(w.applies)), State: store.RunFailedRestored, Untouched: true},
			errors.New("download arp 1.4.0.1: HTTP 403 Forbidden")
	}
	if w.applyFails {
		return schedule.ApplyResult{RunID: int64(len(w.applies)), State: store.RunFailedRestored},
			errors.New("post script arp/post.py exited 1")
	}
	for _, c := range p.Changes {
		w.installed[c.Module] = c.To
	}
	return schedule.ApplyResult{RunID: int64(len(w.applies)), State: store.RunSucceeded}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// receiver is a real webhook endpoint that checks signatures and counts
// every event it receives by news key.
type receiver struct {
	srv    *httptest.Server
	secret []byte
	mu     sync.Mutex
	byKey  map[string]int
	posts  int
	bad    []string
	down   func() bool // answers 503 while true
	urgent []string    // news keys of the urgent events, in a payload marked urgent
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{secret: []byte("s3cret"), byKey: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.down != nil && r.down() {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		if err := notify.Verify(r.secret, req.Header.Get(notify.HeaderTimestamp), body, req.Header.Get(notify.HeaderSignature), time.Time{}, 0); err != nil {
			r.bad = append(r.bad, err.Error())
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p notify.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			r.bad = append(r.bad, err.Error())
		}
		r.posts++
		for _, e := range p.Events {
			r.byKey[e.NewsKey]++
			if e.Urgent() && p.Urgent {
				r.urgent = append(r.urgent, e.NewsKey)
			}
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) counts() (map[string]int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.byKey {
		out[k] = v
	}
	return out, r.bad
}

// sim runs a scheduler on a fake clock until end, jumping from timer to
// timer, with a real store and a real webhook.
type sim struct {
	t      *testing.T
	clock  *clocktest.Fake
	world  *world
	events *store.Events
	hook   *receiver
	sched  *schedule.Scheduler
}

func newSim(t *testing.T, start time.Time, spec schedule.Spec, installed map[string]string) *sim {
	t.Helper()
	return newSimIn(t, t.TempDir(), start, spec, installed)
}

// newSimIn is newSim with the store in dir.
func newSimIn(t *testing.T, dir string, start time.Time, spec schedule.Spec, installed map[string]string) *sim {
	t.Helper()
	clock := clocktest.New(start)
	st, err := store.Open(dir, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := &sim{t: t, clock: clock, world: newWorld(clock, installed), events: store.NewEvents(st), hook: newReceiver(t)}
	s.sched, err = schedule.New(spec, s.world, s.events, schedule.Options{
		Clock: clock, Location: start.Location(), Rand: rand.New(rand.NewPCG(1, 2)),
		Logger:   slog.New(slog.DiscardHandler),
		Notifier: &notify.Notifier{Host: "erp1", Webhook: &notify.Webhook{URL: s.hook.srv.URL, Secret: s.hook.secret, Now: clock.Now}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runUntil runs the scheduler until the fake clock would pass end.
func (s *sim) runUntil(end time.Time) {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.sched.Run(ctx) }()
	for {
		if err := s.clock.WaitTimers(1, 10*time.Second); err != nil {
			cancel()
			s.t.Fatal(err)
		}
		if next, _ := s.clock.NextTimer(); !next.Before(end) {
			break
		}
		s.clock.AdvanceToNext()
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		s.t.Fatalf("Run returned %v, want context.Canceled", err)
	}
}

// eventsByKind returns the recorded events' keys by kind.
func (s *sim) eventsByKind() map[string][]string {
	all, err := s.events.Latest(context.Background(), 1000)
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[string][]string{}
	for _, e := range all {
		out[e.Kind] = append(out[e.Kind], e.NewsKey)
	}
	return out
}

func kinds(p *scan.Plan) string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, c.Module+"@"+c.To.String()+"("+c.Kind.String()+")")
	}
	return strings.Join(out, ",")
}
