package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/platform"
)

// Archive downloads the archive ref points to (relative to Config.BaseURL)
// into dst: it streams into a temp file beside dst, reading at most
// ref.Length+1 bytes, checks the exact length and the sha256, flushes the
// file and renames it over dst. On any failure the temp file is removed and
// dst is untouched; a length or hash mismatch matches ErrArchiveRejected.
func (c *Client) Archive(ctx context.Context, ref catalog.ArchiveRef, dst string) error {
	if err := c.checkRef(ref); err != nil {
		return fmt.Errorf("download the archive: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*.part")
	if err != nil {
		return fmt.Errorf("download the archive: create a temporary file beside %s: %w", dst, err)
	}
	if err := c.download(ctx, ref, tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("download the archive: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("download the archive: move it into %s: %w", dst, err)
	}
	if err := platform.SyncDir(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("download the archive: %w", err)
	}
	return nil
}

// download streams the archive into tmp, verifies it, flushes and closes tmp.
func (c *Client) download(ctx context.Context, ref catalog.ArchiveRef, tmp *os.File) error {
	h := sha256.New()
	r, err := c.fetch.fetch(ctx, c.archiveURL(ref.Path), ref.Length, "", io.MultiWriter(tmp, h))
	if tl := (*TooLargeError)(nil); errors.As(err, &tl) {
		return &RejectedError{Path: ref.Path, Reason: fmt.Sprintf("it is longer than the %d bytes its listing gives", ref.Length)}
	}
	if err != nil {
		return err
	}
	if r.n != ref.Length {
		return &RejectedError{Path: ref.Path, Reason: fmt.Sprintf("it is %d bytes long, its listing gives %d", r.n, ref.Length)}
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != ref.SHA256 {
		return &RejectedError{Path: ref.Path, Reason: fmt.Sprintf("its sha256 is %s, its listing gives %s", sum, ref.SHA256)}
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	return nil
}

// checkRef refuses references that could leave the repository's tree or
// exceed the archive cap.
func (c *Client) checkRef(ref catalog.ArchiveRef) error {
	p := ref.Path
	switch {
	case p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, `\`) || strings.Contains(p, ":"):
		return fmt.Errorf("archive path %q must be a relative slash path such as archives/<sha256>.zip; the listing is damaged", p)
	case path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, "/../"):
		return fmt.Errorf("archive path %q is not clean or leaves the repository; the listing is damaged", p)
	case ref.Length <= 0:
		return fmt.Errorf("archive %s: length %d is not positive; the listing is damaged", p, ref.Length)
	case ref.Length > c.limits.Archive:
		return &TooLargeError{URL: c.archiveURL(p), Limit: c.limits.Archive, Size: ref.Length}
	case len(ref.SHA256) != 64 || strings.Trim(ref.SHA256, "0123456789abcdef") != "":
		return fmt.Errorf("archive %s: sha256 %q is not 64 lowercase hex digits; the listing is damaged", p, ref.SHA256)
	}
	return nil
}

func (c *Client) archiveURL(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return c.base + "/" + strings.Join(segs, "/")
}
