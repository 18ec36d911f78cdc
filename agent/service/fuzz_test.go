package service

import (
	"encoding/xml"
	"strings"
	"testing"
)

// FuzzRenderCannotInjectLines checks that no configuration path or
// description adds a line to a unit or script, and that the plist carries
// the path through XML unchanged.
func FuzzRenderCannotInjectLines(f *testing.F) {
	for _, s := range []string{"/etc/upkeep/upkeep.toml", "/etc/a b/c\"d'e%f$g\\h.toml", "/x\nExecStartPre=/bin/sh", "/{{Path}}", "/é/ü.toml", "/a&<b>"} {
		f.Add(s, "Upkeep agent")
	}
	f.Fuzz(func(t *testing.T, conf, desc string) {
		s := DefaultSpec("/usr/bin/upkeep", conf)
		s.Description = desc
		base := DefaultSpec("/usr/bin/upkeep", "/c")
		for _, sys := range []string{Systemd, SysV, Launchd} {
			u, err := Render(sys, s)
			if err != nil {
				return // refused: fine
			}
			ref, _ := Render(sys, base)
			if got, want := strings.Count(u.Body, "\n"), strings.Count(ref.Body, "\n"); got != want {
				t.Fatalf("%s: %d lines for config %q, description %q; want %d:\n%s", sys, got, conf, desc, want, u.Body)
			}
		}
		u, _ := Render(Launchd, s)
		var doc struct {
			Args []string `xml:"dict>array>string"`
		}
		if err := xml.Unmarshal([]byte(u.Body), &doc); err != nil || len(doc.Args) != 4 || doc.Args[3] != conf {
			t.Fatalf("plist for %q: %v, args %q", conf, err, doc.Args)
		}
	})
}
