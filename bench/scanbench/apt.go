package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/catalog/synth"
)

// writeApt writes rels as dir/Packages and the instance as dir/status (a
// dpkg status file): our dotted versions are valid Debian versions, and a
// dependency's range becomes ">=" its first version plus "<<" (or "<=") its
// upper bound. Held modules get "Status: hold ok installed".
func writeApt(dir string, rels []synth.Release, inst synth.Instance) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	byVersion := map[string]*catalog.Manifest{}
	for _, r := range rels {
		byVersion[r.Manifest.Name+" "+r.Manifest.Version.String()] = r.Manifest
	}
	err := writeFile(filepath.Join(dir, "Packages"), func(w *bufio.Writer) {
		for _, r := range rels {
			stanza(w, r.Manifest, "")
			fmt.Fprintf(w, "Filename: pool/%s_%s_all.deb\nSize: %d\nSHA256: %s\n\n", r.Manifest.Name, r.Manifest.Version, r.Archive.Length, r.Archive.SHA256)
		}
	})
	if err != nil {
		return err
	}
	held := map[string]bool{}
	for _, h := range inst.Holds {
		held[h] = true
	}
	return writeFile(filepath.Join(dir, "status"), func(w *bufio.Writer) {
		for _, m := range inst.Installed {
			status := "install ok installed"
			if held[m.Name] {
				status = "hold ok installed"
			}
			stanza(w, byVersion[m.Name+" "+m.Version.String()], status)
			w.WriteString("Installed-Size: 4\nMaintainer: scanbench <bench@example.org>\n\n")
		}
	})
}

// stanza writes the fields a Packages entry and a status entry share.
func stanza(w *bufio.Writer, m *catalog.Manifest, status string) {
	fmt.Fprintf(w, "Package: %s\n", m.Name)
	if status != "" {
		fmt.Fprintf(w, "Status: %s\n", status)
	}
	fmt.Fprintf(w, "Priority: optional\nSection: misc\nArchitecture: all\nVersion: %s\n", m.Version)
	if len(m.Depends) > 0 {
		fmt.Fprintf(w, "Depends: %s\n", depends(m.Depends))
	}
	fmt.Fprintf(w, "Description: %s\n", m.Summary)
}

// depends writes dependencies as Debian relations.
func depends(deps []catalog.Dependency) string {
	var parts []string
	for _, d := range deps {
		r := d.Range()
		parts = append(parts, fmt.Sprintf("%s (>= %s)", d.Module, r.Lo))
		switch {
		case r.Unbounded:
		case r.HiInclusive:
			parts = append(parts, fmt.Sprintf("%s (<= %s)", d.Module, r.Hi))
		default:
			parts = append(parts, fmt.Sprintf("%s (<< %s)", d.Module, r.Hi))
		}
	}
	return strings.Join(parts, ", ")
}

func writeFile(path string, fill func(*bufio.Writer)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fill(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
