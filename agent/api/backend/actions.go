package backend

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/scanner"
	"github.com/upkeep-erp/upkeep/agent/schedule"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/platform"
)

// ScheduleActions returns what the schedule does, over this backend: scans
// through agent/scanner, plans (patches alone when the policy applies
// patches and the whole plan holds more), stages archives, applies as a
// run the API shows and can cancel, and rehearses (RehearsePlan) or looks
// up a passed rehearsal.
func (b *Backend) ScheduleActions(pol schedule.Policy) schedule.Actions {
	return &actions{b: b, pol: pol, made: map[string]scanner.Request{}}
}

type actions struct {
	b    *Backend
	pol  schedule.Policy
	mu   sync.Mutex
	made map[string]scanner.Request // plan hash → the choices that made it
}

func (a *actions) Scan(ctx context.Context) (*scan.Report, error) {
	return a.b.scan(ctx, scanner.Request{})
}

// Plan plans the report's target. When the policy applies patches silently
// but the target holds more than patches, it plans the patches alone, so
// that a pending update (which waits for a person) does not hold them back.
func (a *actions) Plan(rep *scan.Report) (*scan.Plan, error) {
	var req scanner.Request
	plan, err := rep.Plan(req.PlanOptions())
	if err != nil {
		return nil, err
	}
	if a.pol.Patches == schedule.Apply && schedule.PlanAction(plan, a.pol) < schedule.Apply {
		patches := scanner.Request{PatchesOnly: true}
		if p, err := rep.Plan(patches.PlanOptions()); err == nil && len(p.Changes) > 0 {
			plan, req = p, patches
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	clear(a.made)
	a.made[plan.Hash] = req
	return plan, nil
}

// Stage downloads and verifies the plan's archives into the state
// directory's staging folder; the runner's download takes them from there.
func (a *actions) Stage(ctx context.Context, plan *scan.Plan) error {
	c := a.b.config()
	dir := stagingDir(c)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create the staging folder: %w", err)
	}
	keep := map[string]bool{}
	for _, ch := range plan.Changes {
		if err := stageOne(ctx, c, dir, ch); err != nil {
			return fmt.Errorf("stage %s %s: %w", ch.Module, ch.To, err)
		}
		keep[ch.Archive.SHA256+".zip"] = true
	}
	sweepStaged(dir, keep)
	return nil
}

// stageOne downloads one change's archive unless a verified copy is
// staged, and checks that it holds the planned module and scripts.
func stageOne(ctx context.Context, c *config.Config, dir string, ch scan.PlannedChange) error {
	path, err := stagedPath(dir, ch.Archive)
	if err != nil {
		return err
	}
	if verifyFile(path, ch.Archive) != nil {
		cl, err := scanner.ArchiveClient(c, ch.Repository)
		if err != nil {
			return err
		}
		if err := cl.Archive(ctx, ch.Archive, path); err != nil {
			return err
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read the staged archive: %w", err)
	}
	arc, err := catalog.ReadArchive(bytes.NewReader(data), int64(len(data)), catalog.ArchiveLimits{})
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("module archive: %w", err)
	}
	if m := arc.Manifest; m.Name != ch.Module || !m.Version.Equal(ch.To) {
		os.Remove(path)
		return fmt.Errorf("the archive holds %s %s, the plan expects %s %s: the repository's listing is wrong", m.Name, m.Version, ch.Module, ch.To)
	}
	return nil
}

// sweepStaged removes staged archives no plan needs any more.
func sweepStaged(dir string, keep map[string]bool) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !keep[e.Name()] {
			os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

// stagingDir is where staged archives wait: <state>/staging.
func stagingDir(c *config.Config) string { return filepath.Join(c.State.Dir, "staging") }

// stagedPath is the staged file of an archive, named by its sha256.
func stagedPath(dir string, ref catalog.ArchiveRef) (string, error) {
	if b, err := hex.DecodeString(ref.SHA256); err != nil || len(b) != sha256.Size || strings.ToLower(ref.SHA256) != ref.SHA256 {
		return "", fmt.Errorf("archive %s: sha256 %q is not 64 lowercase hex digits; the listing is damaged", ref.Path, ref.SHA256)
	}
	return filepath.Join(dir, ref.SHA256+".zip"), nil
}

// verifyFile checks a file's length and sha256 against ref.
func verifyFile(path string, ref catalog.ArchiveRef) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, ref.Length+1))
	if err != nil {
		return err
	}
	if n != ref.Length || hex.EncodeToString(h.Sum(nil)) != ref.SHA256 {
		return errors.New("the staged archive does not match its listing")
	}
	return nil
}

// stagedFetcher gives the runner a staged archive when a verified one is
// there, and downloads it otherwise.
type stagedFetcher struct {
	dir  string
	next apply.Fetcher
}

func (f stagedFetcher) Archive(ctx context.Context, ref catalog.ArchiveRef, dst string) error {
	src, err := stagedPath(f.dir, ref)
	if err != nil || verifyFile(src, ref) != nil {
		return f.next.Archive(ctx, ref, dst)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return f.next.Archive(ctx, ref, dst)
	}
	return platform.WriteFileAtomic(dst, data, 0o640)
}

// Apply applies the plan as a run of this process (shown by the API and
// cancellable before the point of no return) and waits for its end. When
// ctx ends first (the agent stops), the run goes on.
func (a *actions) Apply(ctx context.Context, plan *scan.Plan) (schedule.ApplyResult, error) {
	t, err := a.b.startApply(ctx, startRequest{plan: plan, req: a.choices(plan.Hash), by: "schedule"})
	if err != nil {
		return schedule.ApplyResult{}, err
	}
	id := t.ID(&a.b.runs)
	select {
	case <-t.done:
	case <-ctx.Done():
		return schedule.ApplyResult{RunID: id}, fmt.Errorf("run %d goes on while the agent stops; a crash is finished at the next start: %w", id, ctx.Err())
	}
	out := schedule.ApplyResult{RunID: id}
	if t.res != nil {
		out.State = t.res.State
	}
	return out, t.err
}

// RehearsalPassed tells whether a rehearsal of the plan hash passed.
func (a *actions) RehearsalPassed(ctx context.Context, hash string) (bool, error) {
	r, err := apply.PassedRehearsal(ctx, a.b.o.Store, hash)
	return r != nil, err
}

// Rehearse rehearses the plan as a run this backend drives and shows, and
// waits for its end: a rehearsal that ran and failed is passed = false.
func (a *actions) Rehearse(ctx context.Context, plan *scan.Plan) (bool, error) {
	res, err := a.b.RehearsePlan(ctx, plan, a.choices(plan.Hash), "schedule")
	switch {
	case errors.Is(err, apply.ErrRehearsalFailed):
		return false, nil
	case err != nil:
		return false, err
	}
	return res != nil && res.Passed, nil
}

// choices are the choices that made the plan with hash.
func (a *actions) choices(hash string) scanner.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.made[hash]
}
