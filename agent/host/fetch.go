package host

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

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/fetch"
	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/scanner"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/platform"
)

// Client is the verified download client of a plan change's repository: a
// series repository of the central one, or a private one (NAME@HOST).
func (h *Host) Client(repository string) (*fetch.Client, error) {
	return scanner.ArchiveClient(h.Config, repository)
}

// Fetcher is the runner's archive source for repository: the staging
// folder when a verified copy is staged there, else the repository.
func (h *Host) Fetcher(repository string) (apply.Fetcher, error) {
	cl, err := h.Client(repository)
	if err != nil {
		return nil, err
	}
	return stagedFetcher{dir: h.stagingDir(), next: cl}, nil
}

// Stage downloads and verifies the plan's archives into the state
// folder's staging folder, where the runner's download takes them, and
// removes the staged archives the plan does not need.
func (h *Host) Stage(ctx context.Context, plan *scan.Plan) error {
	dir := h.stagingDir()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create the staging folder: %w", err)
	}
	keep := map[string]bool{}
	for _, ch := range plan.Changes {
		if err := h.stageOne(ctx, dir, ch); err != nil {
			return fmt.Errorf("stage %s %s: %w", ch.Module, ch.To, err)
		}
		keep[ch.Archive.SHA256+".zip"] = true
	}
	sweepStaged(dir, keep)
	return nil
}

// stageOne downloads one change's archive unless a verified copy is
// staged, and checks that it holds the planned module and scripts.
func (h *Host) stageOne(ctx context.Context, dir string, ch scan.PlannedChange) error {
	path, err := stagedPath(dir, ch.Archive)
	if err != nil {
		return err
	}
	if verifyFile(path, ch.Archive) != nil {
		cl, err := h.Client(ch.Repository)
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
func (h *Host) stagingDir() string { return filepath.Join(h.Config.State.Dir, "staging") }

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
var _ apply.Fetcher = stagedFetcher{}

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
