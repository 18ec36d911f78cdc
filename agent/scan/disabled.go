package scan

import (
	"slices"

	"github.com/upkeep-erp/upkeep/catalog"
)

// DisabledModule is a module Upkeep disabled (its data is kept) that is not
// installed now, with what installing it again would take as things stand.
type DisabledModule struct {
	Module  string          `json:"module"`
	Version catalog.Version `json:"version"` // the version that was disabled
	// Offer is the version that can be installed now, with its step, or,
	// with a zero Version, the reasons none can.
	Offer NewModule `json:"offer"`
}

// AddDisabled fills r.Disabled from disabled (module → the version
// disabled): each module not installed now, with the offer a scan of the
// same inputs that asks to install it makes. The report's own lists and
// plan are unchanged.
func (r *Report) AddDisabled(disabled map[string]catalog.Version) error {
	r.Disabled = []DisabledModule{}
	if r.in == nil || len(disabled) == 0 {
		return nil
	}
	pol := clonePolicy(r.in.pol)
	pol.Install = nil
	for _, name := range sortedNames(disabled) {
		if !r.isInstalled(name) {
			pol.Install = append(pol.Install, name)
		}
	}
	if len(pol.Install) == 0 {
		return nil
	}
	in, err := newInputs(r.in.idx, r.in.installed, pol)
	if err != nil {
		return err
	}
	sc, _ := newScanner(in, nil)
	for _, n := range sc.newModules() {
		if v, ok := disabled[n.Module]; ok && slices.Contains(pol.Install, n.Module) {
			r.Disabled = append(r.Disabled, DisabledModule{Module: n.Module, Version: v, Offer: n})
		}
	}
	return nil
}

func (r *Report) isInstalled(name string) bool {
	return slices.ContainsFunc(r.Installed, func(m InstalledModule) bool { return m.Module == name })
}

func sortedNames(m map[string]catalog.Version) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
