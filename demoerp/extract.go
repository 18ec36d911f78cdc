package demoerp

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/internal/modarchive"
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
	m, err := modarchive.Extract(filepath.Join(tmp, "module"), data)
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
