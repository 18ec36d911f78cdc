package scan

import (
	"errors"
	"fmt"
	"strings"

	"github.com/upkeep-erp/upkeep/catalog"
)

// Installed is one module installed on the instance.
type Installed struct {
	Module  string          `json:"module"`
	Version catalog.Version `json:"version"`
	Core    bool            `json:"core,omitempty"`
	// Source says where the version was read (the ERP's disk or database,
	// the agent's ledger…); the scan copies it to the report unchanged.
	Source string `json:"source,omitempty"`
	// Depends are the installed code's own dependencies. They are used only
	// when the installed version is in no subscribed listing; nil then means
	// "unknown" and the scan warns.
	Depends []catalog.Dependency `json:"depends,omitempty"`
	// OdooNumbering says the version is numbered as Odoo numbers modules
	// (SERIES.x.y.z): the scan then classes every change of the instance
	// with catalog.ClassifyOdoo. The ERP adapter says so for its modules.
	OdooNumbering bool `json:"odoo_numbering,omitempty"`
}

// Override is the instance's choice for a module's default-upgrade flag.
// Its values match agent/store's Override.
type Override int

// Overrides.
const (
	Inherit Override = iota // use the repository's flag
	On                      // propose the module's upgrades by default
	Off                     // propose its upgrades only on request
)

var overrideNames = []string{"inherit", "true", "false"}

// String returns "inherit", "true" or "false".
func (o Override) String() string {
	if o < 0 || int(o) >= len(overrideNames) {
		return fmt.Sprintf("Override(%d)", int(o))
	}
	return overrideNames[o]
}

// MarshalText writes the override's name.
func (o Override) MarshalText() ([]byte, error) {
	if o < 0 || int(o) >= len(overrideNames) {
		return nil, fmt.Errorf("default-upgrade override %d is not defined; use inherit, true or false", int(o))
	}
	return []byte(overrideNames[o]), nil
}

// UnmarshalText reads "inherit", "true" or "false" (any case).
func (o *Override) UnmarshalText(b []byte) error {
	for i, n := range overrideNames {
		if strings.EqualFold(n, string(b)) {
			*o = Override(i)
			return nil
		}
	}
	return fmt.Errorf("default-upgrade override %q is not known; use inherit, true or false", b)
}

// Relaxation replaces the enforcement of one user_editable dependency of a
// module (on the module Dependency) for this instance, e.g. minor -> major.
// A relaxation of a dependency that is not user_editable is ignored with a
// warning.
type Relaxation struct {
	Module      string              `json:"module"`
	Dependency  string              `json:"dependency"`
	Enforcement catalog.Enforcement `json:"enforcement"`
}

// Policy is what the instance's administrator decided. The zero Policy
// accepts every maturity, holds nothing, inherits every default-upgrade flag
// and requests nothing.
type Policy struct {
	MinInstall catalog.Maturity `json:"min_install"` // lowest maturity for new installs
	MinUpdate  catalog.Maturity `json:"min_update"`  // lowest maturity for changes to installed modules
	// Maturity overrides both minimums for single modules.
	Maturity map[string]catalog.Maturity `json:"maturity,omitempty"`
	// Holds are modules never to touch, with the reason shown in the report.
	Holds map[string]string `json:"holds,omitempty"`
	// DefaultUpgrade overrides the repositories' default_upgrade flag per module.
	DefaultUpgrade map[string]Override `json:"default_upgrade,omitempty"`
	// Upgrades names modules whose upgrades to propose whatever the flag says.
	Upgrades []string `json:"upgrades,omitempty"`
	// Relax relaxes user_editable dependencies.
	Relax []Relaxation `json:"relax,omitempty"`
	// Install names modules to install.
	Install []string `json:"install,omitempty"`
}

// minimum returns the lowest maturity accepted for module, for a new install or a change.
func (p *Policy) minimum(module string, install bool) catalog.Maturity {
	if m, ok := p.Maturity[module]; ok {
		return m
	}
	if install {
		return p.MinInstall
	}
	return p.MinUpdate
}

// validate checks the policy; the error names the setting to fix.
func (p *Policy) validate() error {
	var errs []error
	checkMaturity := func(what string, m catalog.Maturity) {
		if _, err := m.MarshalText(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
	}
	checkMaturity("minimum maturity for installs", p.MinInstall)
	checkMaturity("minimum maturity for updates", p.MinUpdate)
	for mod, m := range p.Maturity {
		checkMaturity("minimum maturity of "+mod, m)
	}
	for mod, o := range p.DefaultUpgrade {
		if _, err := o.MarshalText(); err != nil {
			errs = append(errs, fmt.Errorf("default-upgrade override of %s: %w", mod, err))
		}
	}
	for _, r := range p.Relax {
		if _, err := r.Enforcement.MarshalText(); err != nil {
			errs = append(errs, fmt.Errorf("relaxation of %s's dependency on %s: %w", r.Module, r.Dependency, err))
		}
	}
	for _, name := range p.Install {
		if err := catalog.ValidateModuleName(name); err != nil {
			errs = append(errs, fmt.Errorf("install request: %w", err))
		}
	}
	return errors.Join(errs...)
}

// validateInstalled checks the installed set: valid names, versions, no
// module twice and exactly one core.
func validateInstalled(mods []Installed) error {
	seen := make(map[string]bool, len(mods))
	var cores []string
	for i, m := range mods {
		if err := catalog.ValidateModuleName(m.Module); err != nil {
			return fmt.Errorf("installed module %d: %w; the ERP adapter reported a bad name", i, err)
		}
		if m.Version.IsZero() {
			return fmt.Errorf("installed module %s has no version; the ERP adapter or the ledger must report one", m.Module)
		}
		if seen[m.Module] {
			return fmt.Errorf("installed module %s is listed twice; the ERP adapter must report each module once", m.Module)
		}
		seen[m.Module] = true
		if m.Core {
			cores = append(cores, m.Module)
		}
	}
	switch len(cores) {
	case 0:
		return errors.New("no installed module is marked as the core; the ERP adapter must mark its platform core (e.g. core, base, ir)")
	case 1:
		return nil
	}
	return fmt.Errorf("several installed modules are marked as the core (%s); the ERP adapter must mark exactly one", strings.Join(cores, ", "))
}
