package apply

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/internal/modarchive"
	"github.com/upkeep-erp/upkeep/platform"
)

// download fetches every archive into the run's folder, verifies it again,
// extracts it with validation into its staged folder and flushes the lot.
func (rn *run) download(ctx context.Context, out io.Writer) error {
	archives := filepath.Join(rn.dir, "archives")
	for _, d := range []string{archives, rn.staging} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	for i, c := range rn.plan.Changes {
		if err := rn.fetchOne(ctx, i, filepath.Join(archives, c.Archive.SHA256+".zip")); err != nil {
			return fmt.Errorf("%s %s: %w", c.Module, c.To, err)
		}
		fmt.Fprintf(out, "%s %s: %d bytes, sha256 %s, extracted into %s\n", c.Module, c.To, c.Archive.Length, short(c.Archive.SHA256), rn.stagedPath(i))
	}
	if err := platform.SyncFilesystem(rn.staging); err != nil {
		return fmt.Errorf("flush the staged module folders: %w", err)
	}
	return os.RemoveAll(archives)
}

// fetchOne downloads change i's archive to zip and extracts it.
func (rn *run) fetchOne(ctx context.Context, i int, zip string) error {
	c := rn.plan.Changes[i]
	if rn.r.FetcherFor == nil {
		return errors.New("the runner has no archive fetcher (Runner.FetcherFor is nil)")
	}
	f, err := rn.r.FetcherFor(c.Repository)
	if err != nil {
		return fmt.Errorf("repository %s: %w", c.Repository, err)
	}
	if err := f.Archive(ctx, c.Archive, zip); err != nil {
		return err
	}
	data, err := os.ReadFile(zip)
	if err != nil {
		return fmt.Errorf("read the downloaded archive: %w", err)
	}
	if err := verifyArchive(data, c.Archive); err != nil {
		return err
	}
	m, err := modarchive.Extract(rn.stagedPath(i), data)
	if err != nil {
		return err
	}
	return checkStaged(c, m, rn.stagedPath(i))
}

// verifyArchive checks the length and sha256 the plan gives.
func verifyArchive(data []byte, ref catalog.ArchiveRef) error {
	sum := sha256.Sum256(data)
	if int64(len(data)) != ref.Length || hex.EncodeToString(sum[:]) != ref.SHA256 {
		return fmt.Errorf("archive %s is %d bytes with sha256 %s; the plan gives %d bytes and %s: it was altered, fetch it again",
			ref.Path, len(data), hex.EncodeToString(sum[:]), ref.Length, ref.SHA256)
	}
	return nil
}

// checkStaged checks that the extracted folder is the planned module and
// version and carries every planned script.
func checkStaged(c scan.PlannedChange, m *catalog.Manifest, dir string) error {
	if m.Name != c.Module || !m.Version.Equal(c.To) {
		return fmt.Errorf("the archive holds %s %s, the plan expects %s %s: the repository's listing is wrong", m.Name, m.Version, c.Module, c.To)
	}
	for _, s := range append(c.Pre[:len(c.Pre):len(c.Pre)], c.Post...) {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(s.Path))); err != nil {
			return fmt.Errorf("the archive lacks the planned script %s: the repository's listing is wrong", s.Path)
		}
	}
	return nil
}

// install swaps change i's staged folder with the module's live folder:
// afterwards the live name holds the new code and the staged name the
// replaced folder (nothing, for a new module).
func (rn *run) install(i int, out io.Writer) error {
	c := rn.plan.Changes[i]
	live, err := rn.r.Writer.ModuleDir(c.Module)
	if err != nil {
		return err
	}
	staged := rn.stagedPath(i)
	if err := platform.Exchange(staged, live); err != nil {
		return fmt.Errorf("swap the new %s folder into place: %w", c.Module, err)
	}
	if err := syncParents(live, staged); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s now holds %s %s; the replaced folder is kept in %s\n", live, c.Module, c.To, staged)
	return nil
}

// uninstall undoes install(i) if it happened: it checks which name holds
// the new version's folder (by its manifest), so running it again, or for
// a swap that never happened, changes nothing.
func (rn *run) uninstall(i int, out io.Writer) error {
	c := rn.plan.Changes[i]
	live, err := rn.r.Writer.ModuleDir(c.Module)
	if err != nil {
		return err
	}
	staged := rn.stagedPath(i)
	if err := settleSwap(staged, live); err != nil {
		return err
	}
	if !holds(live, c.Module, c.To) {
		fmt.Fprintf(out, "%s: not swapped, nothing to undo\n", live)
		return nil
	}
	if err := platform.Exchange(live, staged); err != nil {
		return fmt.Errorf("swap the previous %s folder back into %s: %w", c.Module, live, err)
	}
	if err := syncParents(live, staged); err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: the previous folder is back\n", live)
	return nil
}

// holds reports whether dir's manifest names module at version v.
func holds(dir, module string, v catalog.Version) bool {
	data, err := os.ReadFile(filepath.Join(dir, catalog.ManifestName))
	if err != nil {
		return false
	}
	m, err := catalog.ParseManifest(data)
	return err == nil && m.Name == module && m.Version.Equal(v)
}

// settleSwap finishes or undoes a swap between a and b that the
// rename-based fallback of platform.Exchange left half done (one name
// parked as NAME.upkeep-swap), so that each name holds one folder again.
func settleSwap(a, b string) error {
	for _, pair := range [][2]string{{a, b}, {b, a}} {
		parked := pair[1] + ".upkeep-swap"
		if _, err := os.Lstat(parked); errors.Is(err, fs.ErrNotExist) {
			continue
		}
		dst := pair[1] // its own name is free: the swap stopped after the first rename
		if _, err := os.Lstat(dst); err == nil {
			dst = pair[0] // the second rename happened too: finish the swap
		}
		if err := os.Rename(parked, dst); err != nil {
			return fmt.Errorf("settle the interrupted swap of %s: %w", parked, err)
		}
	}
	return nil
}

func syncParents(paths ...string) error {
	for _, p := range paths {
		if err := platform.SyncDir(filepath.Dir(p)); err != nil {
			return fmt.Errorf("flush %s: %w", filepath.Dir(p), err)
		}
	}
	return nil
}
