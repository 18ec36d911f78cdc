package demoerp

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/upkeep-erp/upkeep/catalog"
)

// code maps module name to the manifest of its folder: the code on disk.
type code map[string]*catalog.Manifest

// LoadModule reads and validates the manifest of module name's folder in the
// instance in dir; the folder must be named after its module.
func LoadModule(dir, name string) (*catalog.Manifest, error) {
	folder := ModuleDir(dir, name)
	p := filepath.Join(folder, catalog.ManifestName)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(folder); serr != nil {
			return nil, fmt.Errorf("module %s: its folder %s is missing: put the module's code back (or restore the backup of the module folders)", name, folder)
		}
		return nil, fmt.Errorf("module %s: %s is missing: put the module's manifest back", name, p)
	}
	if err != nil {
		return nil, fmt.Errorf("module %s: read %s: %w", name, p, err)
	}
	m, err := catalog.ParseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("module %s: %s: %w", name, p, err)
	}
	if m.Name != name {
		return nil, fmt.Errorf("module %s: %s names module %q: a module's folder must be named after it", name, p, m.Name)
	}
	return m, nil
}

// loadFolders reads every module folder in the instance's addons (names
// starting with "." are staging leftovers and skipped).
func loadFolders(dir string) (code, error) {
	addons := filepath.Join(dir, AddonsDir)
	entries, err := os.ReadDir(addons)
	if err != nil {
		return nil, fmt.Errorf("read the module folders: %w; put the modules in %s, one folder each", err, addons)
	}
	mods := code{}
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if err := catalog.ValidateModuleName(e.Name()); err != nil {
			return nil, fmt.Errorf("folder %s: %w; rename it after its module", filepath.Join(addons, e.Name()), err)
		}
		m, err := LoadModule(dir, e.Name())
		if err != nil {
			return nil, err
		}
		mods[e.Name()] = m
	}
	return mods, nil
}

// order returns the modules of mods in dependency order: each after the
// modules of mods it depends on, ties broken by name.
func order(mods code) ([]string, error) {
	waiting := make(map[string]int, len(mods))
	users := map[string][]string{}
	for name, m := range mods {
		waiting[name] += 0
		for _, d := range m.Depends {
			if _, ok := mods[d.Module]; ok {
				waiting[name]++
				users[d.Module] = append(users[d.Module], name)
			}
		}
	}
	var ready, out []string
	for name, n := range waiting {
		if n == 0 {
			ready = append(ready, name)
		}
	}
	for len(ready) > 0 {
		slices.Sort(ready)
		next := ready[0]
		ready = ready[1:]
		out = append(out, next)
		for _, u := range users[next] {
			if waiting[u]--; waiting[u] == 0 {
				ready = append(ready, u)
			}
		}
	}
	if len(out) < len(mods) {
		var stuck []string
		for name, n := range waiting {
			if n > 0 {
				stuck = append(stuck, name)
			}
		}
		slices.Sort(stuck)
		return nil, fmt.Errorf("the dependencies of modules %s form a cycle: fix their manifests' depends", strings.Join(stuck, ", "))
	}
	return out, nil
}

// dependents returns roots and every module of mods that depends on one of
// them, directly or through others.
func dependents(mods code, roots []string) map[string]bool {
	out := map[string]bool{}
	for _, r := range roots {
		out[r] = true
	}
	for grew := true; grew; {
		grew = false
		for name, m := range mods {
			if out[name] {
				continue
			}
			for _, d := range m.Depends {
				if out[d.Module] {
					out[name], grew = true, true
					break
				}
			}
		}
	}
	return out
}

// checkDeps checks that every dependency of module name (manifest m) is
// among avail and that the version there satisfies it.
func checkDeps(name string, m *catalog.Manifest, avail code) error {
	for _, d := range m.Depends {
		dep, ok := avail[d.Module]
		if !ok {
			return fmt.Errorf("module %s %s needs %s, which is not installed: install %s first (its folder goes in %s/%s)",
				name, m.Version, d, d.Module, AddonsDir, d.Module)
		}
		if !d.Allows(dep.Version) {
			return fmt.Errorf("module %s %s needs %s, but %s/%s holds %s %s: put a version of %s that %s accepts in place, or update %s",
				name, m.Version, d, AddonsDir, d.Module, d.Module, dep.Version, d.Module, name, name)
		}
	}
	return nil
}

// sorted returns the keys of set in order.
func sorted(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k, v := range set {
		if v {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
