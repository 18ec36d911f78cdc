package catalog

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// OdooManifestName is an Odoo addon's own manifest, in the addon's folder.
const OdooManifestName = "__manifest__.py"

// odooOverlayKeys are the keys an upkeep.toml beside __manifest__.py may
// give: what Odoo's manifest cannot say, and name, version and summary
// (the first two must agree with the addon's).
var odooOverlayKeys = []string{"name", "version", "summary", "maturity", "default_upgrade", "patch", "upgrade_from", "notes"}

// OdooAddon is what OdooAddonArchive read from an addon.
type OdooAddon struct {
	Manifest *Manifest
	// Migrations are the addon's Odoo migration folders (migrations/V or
	// upgrades/V, inside the addon's folder). Odoo runs them itself during
	// its update; they are carried in the archive, not named as scripts.
	Migrations []string
}

// OdooAddonArchive turns an Odoo addon as it is (a zip holding one folder
// NAME/ with NAME/__manifest__.py and no upkeep.toml at the root) into a
// module archive: upkeep.toml, written from the addon's manifest, comes
// first, then every entry as it was. The module is named after the folder;
// its version is __manifest__.py's, in full with its series (17.0.1.1.0);
// each of its depends accepts any version of the same series. An
// upkeep.toml in the folder adds maturity, default_upgrade, patch,
// upgrade_from and notes, and wins over the summary; a name or version it
// gives must agree with the addon's. An archive with upkeep.toml at its
// root, or without an addon folder, is returned as it is with a nil addon.
func OdooAddonArchive(data []byte, lim ArchiveLimits) ([]byte, *OdooAddon, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxArchiveSize {
		return data, nil, nil // ReadArchive says why
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return data, nil, nil
	}
	var folders []string
	for _, f := range zr.File {
		switch {
		case f.Name == ManifestName:
			return data, nil, nil
		case f.Name == OdooManifestName:
			return nil, nil, fmt.Errorf("%s is at the archive's root: put the addon in its own folder (NAME/%s, as Odoo keeps it); the folder's name is the module's", OdooManifestName, OdooManifestName)
		}
		if dir, rest, ok := strings.Cut(f.Name, "/"); ok && rest == OdooManifestName {
			folders = append(folders, dir)
		}
	}
	switch len(folders) {
	case 0:
		return data, nil, nil
	case 1:
	default:
		return nil, nil, fmt.Errorf("the archive holds %d Odoo addons (%s): publish one addon per archive", len(folders), strings.Join(folders, ", "))
	}
	name := folders[0]
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, name+"/") {
			return nil, nil, fmt.Errorf("archive entry %s is outside the addon's folder %s/: an addon archive holds only its folder", Quote(f.Name), name)
		}
		files[strings.TrimPrefix(f.Name, name+"/")] = f
	}
	src, err := readSmall(files[OdooManifestName], maxManifest)
	if err != nil {
		return nil, nil, fmt.Errorf("%s/%s: %w", name, OdooManifestName, err)
	}
	addon, err := odooManifest(name, src, files)
	if err != nil {
		return nil, nil, err
	}
	text, err := addon.Manifest.EncodeTOML()
	if err != nil {
		return nil, nil, err
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	fh := &zip.FileHeader{Name: ManifestName, Method: zip.Deflate}
	fh.SetMode(0o644)
	w, err := zw.CreateHeader(fh)
	if err == nil {
		_, err = w.Write(text)
	}
	for _, f := range zr.File {
		if err == nil {
			err = zw.Copy(f)
		}
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("writing the module archive for addon %s: %w", name, err)
	}
	return out.Bytes(), addon, nil
}

// odooManifest writes the Upkeep manifest of addon name from its
// __manifest__.py (src), its optional upkeep.toml and its migration folders.
func odooManifest(name string, src []byte, files map[string]*zip.File) (*OdooAddon, error) {
	where := name + "/" + OdooManifestName
	pm, err := ParsePyManifest(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if pm.Version == "" {
		return nil, fmt.Errorf("%s has no 'version': add it in full, with its Odoo series, e.g. 'version': '17.0.1.0.0'", where)
	}
	v, err := ParseVersion(pm.Version)
	if err != nil {
		return nil, fmt.Errorf("%s: 'version' %s: %w", where, Quote(pm.Version), err)
	}
	if v.Len() < 4 {
		return nil, fmt.Errorf("%s: 'version' %s does not say its Odoo series: write it in full, e.g. '17.0.%s', so that Upkeep knows which Odoo it is for", where, pm.Version, pm.Version)
	}
	series := v.Series()
	full, err := ParseOdooVersion(pm.Version, series)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	m := &Manifest{Name: name, Version: full, Summary: oneLine(pm.Summary), DefaultUpgrade: true}
	for _, d := range pm.Depends {
		m.Depends = append(m.Depends, Dependency{Module: d, First: series.First(), Enforcement: EnforceMajor})
	}
	if m.Depends == nil {
		m.Depends = []Dependency{}
	}
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	addon := &OdooAddon{Manifest: m}
	if addon.Migrations, err = odooMigrations(name, full, series, files); err != nil {
		return nil, err
	}
	if f := files[ManifestName]; f != nil {
		if addon.Manifest, err = overlayUpkeepTOML(name, m, f); err != nil {
			return nil, err
		}
	}
	return addon, nil
}

// odooMigrations lists the addon's migration folders and checks that Odoo
// would run each: its name is a version of the addon's series, not above
// the addon's version.
func odooMigrations(name string, full Version, series Series, files map[string]*zip.File) ([]string, error) {
	var out []string
	for p := range files {
		parts := strings.Split(p, "/")
		if len(parts) < 3 || (parts[0] != "migrations" && parts[0] != "upgrades") {
			continue
		}
		folder := parts[0] + "/" + parts[1]
		if slices.Contains(out, folder) {
			continue
		}
		if parts[1] == "0.0.0" {
			out = append(out, folder) // Odoo runs it on every update
			continue
		}
		v, err := ParseVersion(parts[1])
		if err != nil {
			return nil, fmt.Errorf("%s/%s: the folder's name is not a version (%v): name it after the version it leads to, e.g. %s/%s", name, folder, err, parts[0], full)
		}
		v = OdooFull(v, series)
		if v.Series() != series {
			return nil, fmt.Errorf("%s/%s is for Odoo %s, but the addon is for %s: remove the folder or fix its name", name, folder, v.Series(), series)
		}
		if v.Compare(full) > 0 {
			return nil, fmt.Errorf("%s/%s leads to %s, above the addon's version %s: Odoo would never run it; raise 'version' in %s or rename the folder", name, folder, v, full, OdooManifestName)
		}
		out = append(out, folder)
	}
	slices.Sort(out)
	return out, nil
}

// overlayUpkeepTOML applies the upkeep.toml beside __manifest__.py to m.
func overlayUpkeepTOML(name string, m *Manifest, f *zip.File) (*Manifest, error) {
	where := name + "/" + ManifestName
	data, err := readSmall(f, maxManifestSize)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	var extra map[string]any
	if _, err := toml.Decode(string(data), &extra); err != nil {
		return nil, fmt.Errorf("%s: fix the TOML syntax: %w", where, err)
	}
	base, err := m.EncodeTOML()
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if _, err := toml.Decode(string(base), &doc); err != nil {
		return nil, err
	}
	for k, v := range extra {
		if !slices.Contains(odooOverlayKeys, k) {
			return nil, fmt.Errorf("%s: key %s is not for an Odoo addon: depends come from %s and migrations from its migrations/ folder; give only %s there",
				where, Quote(k), OdooManifestName, strings.Join(odooOverlayKeys, ", "))
		}
		switch k {
		case "name":
			if s, _ := v.(string); s != name {
				return nil, fmt.Errorf("%s: name %v differs from the addon's folder %s: the folder's name is the module's; drop name or make them agree", where, v, Quote(name))
			}
		case "version":
			s, _ := v.(string)
			given, err := ParseVersion(s)
			if err != nil {
				return nil, fmt.Errorf("%s: version: %w", where, err)
			}
			if !OdooFull(given, m.Version.Series()).Equal(m.Version) {
				return nil, fmt.Errorf("%s says version %s but %s says %s: they must agree; change one (or drop version from %s)",
					where, s, OdooManifestName, m.Version, ManifestName)
			}
			continue
		}
		doc[k] = v
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(doc); err != nil {
		return nil, err
	}
	out, err := ParseManifest(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%s/%w", name, err)
	}
	return out, nil
}

// readSmall reads f whole, refusing one over limit bytes.
func readSmall(f *zip.File, limit int64) ([]byte, error) {
	if f.FileInfo().IsDir() {
		return nil, fmt.Errorf("is a folder; it must be a file")
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("cannot be read (%w); rebuild the archive", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("cannot be read (%w); rebuild the archive", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("is over %d bytes: is it the right file?", limit)
	}
	return data, nil
}

// oneLine makes s a summary: one line of plain text, clipped.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxSummary {
		s = string(r[:maxSummary-1]) + "…"
	}
	return s
}
