package apply

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Drift is the settings drift report: what changed in the settings
// snapshot (menus, configuration) between before the stop and after the
// new server passed its health checks.
type Drift struct {
	Added   []Setting       `json:"added"`
	Removed []Setting       `json:"removed"`
	Changed []SettingChange `json:"changed"`
}

// Setting is one entry of the settings snapshot.
type Setting struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// SettingChange is an entry whose value changed.
type SettingChange struct {
	Key    string `json:"key"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Empty reports whether nothing drifted.
func (d *Drift) Empty() bool { return len(d.Added)+len(d.Removed)+len(d.Changed) == 0 }

// Diff compares two settings snapshots.
func Diff(before, after map[string]string) *Drift {
	d := &Drift{Added: []Setting{}, Removed: []Setting{}, Changed: []SettingChange{}}
	for k, a := range after {
		b, ok := before[k]
		switch {
		case !ok:
			d.Added = append(d.Added, Setting{k, a})
		case a != b:
			d.Changed = append(d.Changed, SettingChange{k, b, a})
		}
	}
	for k, b := range before {
		if _, ok := after[k]; !ok {
			d.Removed = append(d.Removed, Setting{k, b})
		}
	}
	bySetting := func(a, b Setting) int { return strings.Compare(a.Key, b.Key) }
	slices.SortFunc(d.Added, bySetting)
	slices.SortFunc(d.Removed, bySetting)
	slices.SortFunc(d.Changed, func(a, b SettingChange) int { return strings.Compare(a.Key, b.Key) })
	return d
}

// record prepares what finish writes: the settings drift report. A failure
// here is a warning: the new version is in place and healthy.
func (rn *run) record(ctx context.Context, out io.Writer) error {
	if rn.pre.Settings == nil {
		fmt.Fprintln(out, "no settings snapshot was taken before the stop: no drift report")
		return nil
	}
	after, err := rn.r.Writer.Settings(ctx)
	if err != nil {
		rn.warn("no settings drift report: reading the settings after the update failed: %v", err)
		return nil
	}
	rn.drift = Diff(rn.pre.Settings, after)
	fmt.Fprintf(out, "settings drift: %d added, %d removed, %d changed\n", len(rn.drift.Added), len(rn.drift.Removed), len(rn.drift.Changed))
	for _, c := range rn.drift.Changed {
		fmt.Fprintf(out, "  changed %s: %q -> %q\n", c.Key, c.Before, c.After)
	}
	return nil
}
