package demoerp

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/upkeep-erp/upkeep/catalog"
)

// NewInstance creates a demo ERP instance in dir from module archives: each
// is validated and extracted into addons/<module>, then Init installs them
// all with DefaultDemoData partners.
func NewInstance(dir string, archives [][]byte) error {
	for _, data := range archives {
		if _, err := AddModule(dir, data); err != nil {
			return err
		}
	}
	return Init(context.Background(), dir, InitOptions{DemoData: DefaultDemoData})
}

// AddModule validates a module archive and extracts it into the instance's
// addons as addons/<module>, which must not exist yet. It only places the
// code: install it with Update (Install) or Init.
func AddModule(dir string, data []byte) (*catalog.Manifest, error) {
	addons := filepath.Join(dir, AddonsDir)
	if err := os.MkdirAll(addons, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", addons, err)
	}
	tmp, err := os.MkdirTemp(addons, ".incoming-")
	if err != nil {
		return nil, fmt.Errorf("create a staging folder in %s: %w", addons, err)
	}
	defer os.RemoveAll(tmp)
	m, err := ExtractArchive(filepath.Join(tmp, "module"), data)
	if err != nil {
		return nil, err
	}
	dst := ModuleDir(dir, m.Name)
	if _, err := os.Lstat(dst); err == nil {
		return nil, fmt.Errorf("module %s: %s already exists: remove it first to replace the module", m.Name, dst)
	}
	if err := os.Rename(filepath.Join(tmp, "module"), dst); err != nil {
		return nil, fmt.Errorf("move module %s into place: %w", m.Name, err)
	}
	return m, nil
}

// ExtractArchive validates a module archive with catalog.ReadArchive and
// writes its files (mode 0644) under dst, which must not exist yet. Nothing
// is written outside dst; on error dst is removed.
func ExtractArchive(dst string, data []byte) (*catalog.Manifest, error) {
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
