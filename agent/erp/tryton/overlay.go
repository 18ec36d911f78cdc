package tryton

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/upkeep-erp/upkeep/platform"
)

// DebianTrytond is where Debian's tryton-server installs the trytond package.
const DebianTrytond = "/usr/lib/python3/dist-packages/trytond"

// The overlay is the module path the agent controls (notes §5). Tryton 6.0
// has no module-path setting: it loads modules from the modules/ folder
// next to the trytond package that Python imported. So the overlay is a
// PYTHONPATH entry ROOT holding its own trytond package:
//
//	ROOT/trytond/            a real folder: a symlink to every entry of the
//	                         system trytond except modules/ and __pycache__
//	ROOT/trytond/modules/    a real folder: __init__.py and one entry per
//	                         module, a symlink to the system module or a
//	                         real folder for a version Upkeep delivered
//	ROOT.staging/            where new module folders are staged; never imported
//
// trytond, trytond-admin and trytond-console all run with ROOT first on
// PYTHONPATH, so Python imports ROOT/trytond and Tryton's MODULES_PATH is
// ROOT/trytond/modules (abspath does not resolve symlinks).
//
// Entries are never deleted, only replaced by an atomic exchange
// (platform.Exchange): without its entry, Tryton would silently load a
// Debian module from dist-packages through its entry point.

// overlayModules is the overlay's modules folder under its root.
func overlayModules(root string) string { return filepath.Join(root, "trytond", "modules") }

// moduleEntry is where module's code is in the overlay: the core modules
// ir and res are packages of trytond itself, the others are in modules/.
func moduleEntry(root, module string) string {
	if module == coreModule || module == "res" {
		return filepath.Join(root, "trytond", module)
	}
	return filepath.Join(overlayModules(root), module)
}

// stagingOf is the staging folder of the overlay at root: a sibling, so on
// the same filesystem, and not on PYTHONPATH.
func stagingOf(root string) string {
	return filepath.Join(filepath.Dir(root), filepath.Base(root)+".staging")
}

// moduleName is what Tryton 6.0 accepts as a module (a Python package name
// in lower case); anything else could be a path or an option.
var moduleName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func checkModuleName(name string) error {
	if !moduleName.MatchString(name) || len(name) > 100 {
		return fmt.Errorf("tryton: %q is not a Tryton module name (lower-case letters, digits and _, starting with a letter)", name)
	}
	return nil
}

// EnsureOverlay builds or completes the overlay at root from the system
// trytond package (system; "" means DebianTrytond): it creates the folders
// and every missing symlink, and returns the entries it added. It never
// removes or replaces an entry, so it is safe to run at every setup and
// after every Debian upgrade (a new system module gets its link).
func EnsureOverlay(root, system string) ([]string, error) {
	if system == "" {
		system = DebianTrytond
	}
	if !filepath.IsAbs(root) {
		return nil, fmt.Errorf("tryton: the module overlay %q is not an absolute path: set erp.tryton.modules_overlay to one", root)
	}
	if st, err := os.Stat(filepath.Join(system, "__init__.py")); err != nil || st.IsDir() {
		return nil, fmt.Errorf("tryton: %s is not the trytond package (no __init__.py): install tryton-server, or name the trytond folder Python imports", system)
	}
	if within(root, system) || within(system, root) {
		return nil, fmt.Errorf("tryton: the module overlay %s and the system trytond %s overlap: put the overlay in a folder of its own, e.g. /var/lib/upkeep/tryton-overlay", root, system)
	}
	pkg, mods := filepath.Join(root, "trytond"), overlayModules(root)
	for _, dir := range []string{root, pkg, mods, stagingOf(root)} {
		if err := realDir(dir); err != nil {
			return nil, err
		}
	}
	added, err := linkMissing(system, pkg, "modules")
	if err != nil {
		return added, err
	}
	more, err := linkMissing(filepath.Join(system, "modules"), mods, "")
	return append(added, more...), err
}

// realDir makes dir, and refuses it when it is a symlink: links inside a
// linked folder would be written into the system trytond.
func realDir(dir string) error {
	st, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(dir, 0o755); err != nil {
			return fmt.Errorf("tryton: create the module overlay folder: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("tryton: module overlay: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("tryton: module overlay: %s is not a real folder (a symlink or a file): move it away and run upkeep setup again", dir)
	}
	return nil
}

// linkMissing symlinks into dst every entry of src that dst lacks, except
// skip and __pycache__, and returns the names it linked.
func linkMissing(src, dst, skip string) ([]string, error) {
	entries, err := os.ReadDir(src)
	if err != nil {
		return nil, fmt.Errorf("tryton: read the system trytond: %w", err)
	}
	var added []string
	for _, e := range entries {
		name := e.Name()
		if name == skip || name == "__pycache__" {
			continue
		}
		link := filepath.Join(dst, name)
		if _, err := os.Lstat(link); err == nil {
			continue // present: a link, or a folder Upkeep delivered
		}
		if err := os.Symlink(filepath.Join(src, name), link); err != nil {
			return added, fmt.Errorf("tryton: module overlay: %w", err)
		}
		added = append(added, link)
	}
	return added, nil
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && (rel == "." || filepath.IsLocal(rel))
}

// LinkModule points the overlay entry of module at dir (a release folder)
// atomically: a symlink made in the staging folder is exchanged with the
// entry (platform.Exchange), so the entry names the old or the new code at
// every instant, never nothing. The previous entry (a symlink or a folder)
// is left in the staging folder at the returned path, from which the same
// exchange rolls back; "" when the module had no entry.
func LinkModule(root, module, dir string) (string, error) {
	if err := checkModuleName(module); err != nil {
		return "", err
	}
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("tryton: link %s to %q: give the release folder as an absolute path", module, dir)
	}
	entry := moduleEntry(root, module)
	staged, err := os.MkdirTemp(stagingOf(root), module+".link-")
	if err != nil {
		return "", fmt.Errorf("tryton: link %s: %w (is the overlay built? run upkeep setup)", module, err)
	}
	link := filepath.Join(staged, module)
	if err := os.Symlink(dir, link); err != nil {
		return "", fmt.Errorf("tryton: link %s: %w", module, err)
	}
	_, lerr := os.Lstat(entry)
	if err := platform.Exchange(link, entry); err != nil {
		return "", fmt.Errorf("tryton: swap the overlay entry of %s: %w", module, err)
	}
	if lerr != nil {
		os.Remove(staged) // a new module: the link was renamed into place
		return "", nil
	}
	return link, nil
}

// CloneOverlay makes at dst, which must not exist, an overlay with the
// module entries of the one at src — for a rehearsal copy, whose module
// swaps must not touch the live overlay. Links are made again to the same
// targets, delivered folders are copied; EnsureOverlay then completes it
// from system ("" means DebianTrytond).
func CloneOverlay(src, dst, system string) error {
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("tryton: clone the overlay: %s exists: give a new folder", dst)
	}
	for _, dir := range []string{filepath.Join(src, "trytond"), overlayModules(src)} {
		rel, _ := filepath.Rel(src, dir)
		if err := os.MkdirAll(filepath.Join(dst, rel), 0o755); err != nil {
			return fmt.Errorf("tryton: clone the overlay: %w", err)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("tryton: clone the overlay: %w", err)
		}
		for _, e := range entries {
			if e.Name() == "__pycache__" || (e.Name() == "modules" && e.IsDir()) {
				continue
			}
			if err := copyEntry(filepath.Join(dir, e.Name()), filepath.Join(dst, rel, e.Name())); err != nil {
				return fmt.Errorf("tryton: clone the overlay: %w", err)
			}
		}
	}
	_, err := EnsureOverlay(dst, system)
	return err
}

// copyEntry copies src to dst: a symlink as a symlink to the same target,
// a folder with everything in it, a file with its mode.
func copyEntry(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.IsDir():
			if d.Name() == "__pycache__" {
				return filepath.SkipDir
			}
			return os.Mkdir(target, info.Mode().Perm())
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
}
