package dbcopy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/upkeep-erp/upkeep/platform"
)

// TreeOptions says how CopyTree may copy a folder.
type TreeOptions struct {
	// HardLinks lets CopyTree hard-link a file it cannot clone. That is
	// sound only for files nobody rewrites in place, such as Odoo's
	// content-addressed filestore: a link shares the file, a clone or a
	// copy does not.
	HardLinks bool
	// Workers is how many files are copied at once (0: 4).
	Workers int
	// NoSync skips the final flush to disk (a throwaway copy).
	NoSync bool
}

// TreeStats counts how CopyTree copied.
type TreeStats struct {
	Dirs, Cloned, Linked, Copied, Symlinks int
	CopiedBytes                            int64 // written by byte copies; clones and links write none
}

func (s TreeStats) String() string {
	return fmt.Sprintf("%d folders, %d files cloned, %d hard-linked, %d copied (%d bytes), %d symbolic links",
		s.Dirs, s.Cloned, s.Linked, s.Copied, s.CopiedBytes, s.Symlinks)
}

// CopyTree copies the folder src to dst, which must not exist, the
// cheapest sound way, file by file: a copy-on-write clone
// (platform.CloneFile), else a hard link when opts allow it, else a byte
// copy (copy_file_range where the kernel has it). Folders, files and
// symbolic links keep their mode bits, owner and group; files and folders
// their modification time. Any other kind of file (a socket, a device) is
// refused. The copy is flushed to disk unless opts.NoSync. On error dst
// is removed.
func CopyTree(ctx context.Context, src, dst string, opts TreeOptions) (st TreeStats, err error) {
	if _, err := os.Lstat(dst); err == nil {
		return st, fmt.Errorf("copy %s: %s already exists: give a new name for the copy", src, dst)
	}
	tc := &treeCopy{opts: opts, clone: true, link: opts.HardLinks}
	defer func() {
		if err != nil {
			os.RemoveAll(dst)
		}
	}()
	if err := tc.run(ctx, src, dst); err != nil {
		return st, fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	if !opts.NoSync {
		if err := platform.SyncFilesystem(dst); err != nil {
			return st, fmt.Errorf("copy %s to %s: flush: %w", src, dst, err)
		}
	}
	return tc.stats(), nil
}

// treeCopy is one CopyTree in progress.
type treeCopy struct {
	opts                   TreeOptions
	mu                     sync.Mutex
	clone, link            bool // still worth trying (the first "unsupported" turns one off)
	dirs                   []dirMeta
	cloned, linked, copied atomic.Int64
	symlinks, bytes        atomic.Int64
}

// dirMeta is what a folder gets once its content is in place.
type dirMeta struct {
	path string
	info fs.FileInfo
}

func (tc *treeCopy) stats() TreeStats {
	return TreeStats{Dirs: len(tc.dirs), Cloned: int(tc.cloned.Load()), Linked: int(tc.linked.Load()),
		Copied: int(tc.copied.Load()), Symlinks: int(tc.symlinks.Load()), CopiedBytes: tc.bytes.Load()}
}

// run walks src, makes the folders at once and hands files to workers;
// the folders get their modes and times last, deepest first.
func (tc *treeCopy) run(ctx context.Context, src, dst string) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	workers := tc.opts.Workers
	if workers <= 0 {
		workers = 4
	}
	jobs := make(chan [2]string, 64)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				if ctx.Err() != nil {
					continue
				}
				if err := tc.entry(j[0], j[1]); err != nil {
					cancel(err)
				}
			}
		})
	}
	werr := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return tc.mkdir(p, filepath.Join(dst, rel))
		}
		jobs <- [2]string{p, filepath.Join(dst, rel)}
		return nil
	})
	close(jobs)
	wg.Wait()
	if werr != nil {
		return werr
	}
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return tc.finishDirs()
}

func (tc *treeCopy) mkdir(src, dst string) error {
	info, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if err := os.Mkdir(dst, 0o700); err != nil {
		return err
	}
	tc.dirs = append(tc.dirs, dirMeta{dst, info})
	return nil
}

// finishDirs gives every folder its mode, owner and time, deepest first
// (writing into a folder moves its time).
func (tc *treeCopy) finishDirs() error {
	for i := len(tc.dirs) - 1; i >= 0; i-- {
		d := tc.dirs[i]
		if err := os.Chmod(d.path, d.info.Mode().Perm()|d.info.Mode()&(fs.ModeSetgid|fs.ModeSticky)); err != nil {
			return err
		}
		if err := keepOwner(d.path, d.info); err != nil {
			return err
		}
		if err := os.Chtimes(d.path, time.Time{}, d.info.ModTime()); err != nil {
			return err
		}
	}
	return nil
}

// entry copies one file or symbolic link.
func (tc *treeCopy) entry(src, dst string) error {
	info, err := os.Lstat(src)
	if err != nil {
		return err
	}
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err == nil {
			err = os.Symlink(target, dst)
		}
		if err == nil {
			err = keepOwner(dst, info)
		}
		tc.symlinks.Add(1)
		return err
	case info.Mode().IsRegular():
		return tc.file(src, dst, info)
	}
	return fmt.Errorf("%s is a %s, not a file, folder or symbolic link: it cannot be copied", src, info.Mode().Type())
}

// file clones, links or copies one regular file.
func (tc *treeCopy) file(src, dst string, info fs.FileInfo) error {
	if tc.try(&tc.clone) {
		err := platform.CloneFile(src, dst, info.Mode().Perm())
		if err == nil {
			tc.cloned.Add(1)
			return keepMeta(dst, info)
		}
		if !errors.Is(err, platform.ErrCloneUnsupported) {
			return err
		}
		tc.off(&tc.clone)
	}
	if tc.try(&tc.link) {
		err := os.Link(src, dst)
		if err == nil {
			tc.linked.Add(1)
			return nil
		}
		if !errors.Is(err, syscall.EXDEV) && !errors.Is(err, syscall.EPERM) && !errors.Is(err, syscall.EMLINK) {
			return err
		}
		tc.off(&tc.link)
	}
	n, err := copyBytes(src, dst, info.Mode().Perm())
	if err != nil {
		return err
	}
	tc.copied.Add(1)
	tc.bytes.Add(n)
	return keepMeta(dst, info)
}

func (tc *treeCopy) try(flag *bool) bool {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return *flag
}

func (tc *treeCopy) off(flag *bool) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	*flag = false
}

// copyBytes copies src into the new file dst; io.Copy between two files
// uses copy_file_range on Linux, which copies inside the kernel (and
// clones, on filesystems that can).
func copyBytes(src, dst string, perm fs.FileMode) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(dst, perm)
	}
	return n, err
}

// keepMeta gives a cloned or copied file the source's owner and time.
func keepMeta(dst string, info fs.FileInfo) error {
	if err := keepOwner(dst, info); err != nil {
		return err
	}
	return os.Chtimes(dst, time.Time{}, info.ModTime())
}

// keepOwner gives path info's owner and group when they differ from what
// it got (so an unprivileged copy of its own files needs no chown).
func keepOwner(path string, info fs.FileInfo) error {
	now, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if platform.SameOwner(now, info) {
		return nil
	}
	return platform.ChownLike(path, info)
}

// Files is the number of regular files copied, however.
func (s TreeStats) Files() int { return s.Cloned + s.Linked + s.Copied }
