// Package modarchive writes a validated module archive's files into a folder of their own, for every part of Upkeep that unpacks modules.
package modarchive

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/upkeep-erp/upkeep/catalog"
)

// Extract validates a module archive with catalog.ReadArchive and
// writes its files (mode 0644) under dst, which must not exist yet. Nothing
// is written outside dst; on error dst is removed.
func Extract(dst string, data []byte) (*catalog.Manifest, error) {
	a, err := catalog.ReadArchive(bytes.NewReader(data), int64(len(data)), catalog.ArchiveLimits{})
	if err != nil {
		return nil, fmt.Errorf("module archive: %w", err)
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		return nil, fmt.Errorf("create the module folder: %w", err)
	}
	if err := writeFiles(dst, data, a); err != nil {
		os.RemoveAll(dst)
		return nil, fmt.Errorf("extract module %s into %s: %w", a.Manifest.Name, dst, err)
	}
	return a.Manifest, nil
}

// writeFiles writes the regular files a lists from the zip data under dst,
// through an os.Root so that no name can reach outside it.
func writeFiles(dst string, data []byte, a *catalog.Archive) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(dst)
	if err != nil {
		return err
	}
	defer root.Close()
	sizes := make(map[string]int64, len(a.Files))
	for _, f := range a.Files {
		sizes[f.Name] = f.Size
	}
	for _, f := range zr.File {
		size, ok := sizes[f.Name]
		if !ok {
			continue // a folder entry: folders are made for the files in them
		}
		if err := writeFile(root, f, size); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	return nil
}

func writeFile(root *os.Root, f *zip.File, size int64) error {
	name := filepath.FromSlash(f.Name)
	if !filepath.IsLocal(name) {
		return errors.New("path is not local to the module folder")
	}
	if parent := filepath.Dir(name); parent != "." {
		if err := root.MkdirAll(parent, 0o755); err != nil {
			return err
		}
	}
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	rc, err := f.Open()
	if err != nil {
		out.Close()
		return err
	}
	defer rc.Close()
	n, err := io.Copy(out, io.LimitReader(rc, size+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = fmt.Errorf("holds %d bytes, %d expected", n, size)
	}
	return err
}
