package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ListingSchema is the current Listing schema number.
const ListingSchema = 1

// Release is one published version of a module as listed in a repository.
type Release struct {
	Version      Version      `json:"version"`
	Summary      string       `json:"summary,omitempty"`
	Core         bool         `json:"core,omitempty"`
	Maturity     Maturity     `json:"maturity"`
	Patch        bool         `json:"patch,omitempty"`
	UpdateAll    bool         `json:"update_all,omitempty"` // applying it needs the ERP's update of every installed module
	UpgradeFrom  *Version     `json:"upgrade_from,omitempty"`
	Depends      []Dependency `json:"depends,omitempty"`
	Scripts      []Script     `json:"scripts,omitempty"`
	Archive      ArchiveRef   `json:"archive"`
	ExtendedFrom *Version     `json:"extended_from,omitempty"`
	Published    time.Time    `json:"published"`
	Notes        string       `json:"notes,omitempty"` // Markdown, shown as text, never run
	Advisories   []Advisory   `json:"advisories,omitempty"`
}

// Listing is the signed per-repository, per-module index document
// (TUF target "modules/<name>.json").
type Listing struct {
	Schema         int       `json:"schema"`
	Repository     string    `json:"repository"`
	Module         string    `json:"module"`
	DefaultUpgrade bool      `json:"default_upgrade"`
	Versions       []Release `json:"versions"` // ascending, unique
}

// ParseListing reads and validates a listing document. Unknown fields are
// ignored, so a newer publisher may add some; a newer schema is refused.
// Publication times are returned in UTC and empty lists as nil.
func ParseListing(data []byte) (*Listing, error) {
	var head struct {
		Schema int `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("listing is not valid JSON (%w); fetch it again or check the repository", err)
	}
	switch {
	case head.Schema > ListingSchema:
		return nil, fmt.Errorf("listing schema %d is newer than this program understands; update upkeep", head.Schema)
	case head.Schema != ListingSchema:
		return nil, fmt.Errorf("listing schema %d is not supported (this program reads schema %d); the repository is misconfigured", head.Schema, ListingSchema)
	}
	var l Listing
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("listing cannot be read (%w); fetch it again or check the repository", err)
	}
	for i := range l.Versions {
		normalize(&l.Versions[i])
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return &l, nil
}

// Validate checks the listing: a valid module name, a repository, strictly
// ascending versions and well-formed releases.
func (l *Listing) Validate() error {
	if err := l.validate(); err != nil {
		return fmt.Errorf("listing of module %q in repository %q: %w; the repository must publish a corrected listing", l.Module, l.Repository, err)
	}
	return nil
}

func (l *Listing) validate() error {
	if err := ValidateModuleName(l.Module); err != nil {
		return fmt.Errorf("module: %w", err)
	}
	if l.Repository == "" {
		return errors.New("repository is empty; the publisher must name the repository")
	}
	for i := range l.Versions {
		r := &l.Versions[i]
		if err := r.validate(l.Module); err != nil {
			return fmt.Errorf("versions[%d] (%s): %w", i, r.Version, err)
		}
		if i > 0 && r.Version.Compare(l.Versions[i-1].Version) <= 0 {
			return fmt.Errorf("versions[%d]: %s does not come after %s; versions must be listed once each, in ascending order",
				i, r.Version, l.Versions[i-1].Version)
		}
	}
	return nil
}

// validate checks one release of module.
func (r *Release) validate(module string) error {
	if r.Version.IsZero() {
		return errors.New("version is missing")
	}
	if !r.Maturity.valid() {
		return fmt.Errorf("maturity %d is not defined", int(r.Maturity))
	}
	if r.UpgradeFrom != nil && r.UpgradeFrom.Compare(r.Version) >= 0 {
		return fmt.Errorf("upgrade_from %s is not below the version", *r.UpgradeFrom)
	}
	if r.ExtendedFrom != nil && r.ExtendedFrom.Compare(r.Version) >= 0 {
		return fmt.Errorf("extended_from %s is not below the version", *r.ExtendedFrom)
	}
	if err := r.Archive.validate(); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	if err := validateDepends(r.Depends, module); err != nil {
		return err
	}
	if err := validateScripts(r.Scripts, r.Version); err != nil {
		return err
	}
	if err := CheckNotes(r.Notes); err != nil {
		return fmt.Errorf("notes %w", err)
	}
	return validateAdvisories(r.Advisories)
}

// validate checks that the reference is usable: a safe path, a length and a sha256.
func (a ArchiveRef) validate() error {
	if err := checkRelPath(a.Path); err != nil {
		return fmt.Errorf("path %w", err)
	}
	if a.Length <= 0 {
		return fmt.Errorf("length %d is not positive", a.Length)
	}
	if !isSHA256Hex(a.SHA256) {
		return fmt.Errorf("sha256 %s must be 64 lowercase hexadecimal digits", Quote(a.SHA256))
	}
	return nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Latest returns the highest release, or nil when there is none.
func (l *Listing) Latest() *Release {
	var best *Release
	for i := range l.Versions {
		if best == nil || l.Versions[i].Version.Compare(best.Version) > 0 {
			best = &l.Versions[i]
		}
	}
	return best
}

// RepositoryField is the field of every signed TUF role that names the
// repository it belongs to. The repositories of one central repository share
// their keys, so only this signed field tells their metadata apart; agents
// refuse metadata that names another repository.
const RepositoryField = "x-upkeep-repository"

// DirectorySchema is the current Directory schema number.
const DirectorySchema = 1

// RepositoryInfo names one repository of a central repository.
type RepositoryInfo struct {
	Name string `json:"name" db:"name"`
	Kind string `json:"kind" db:"kind"` // "series" or "private"
}

// Directory is the signed list of a central repository's repositories
// (TUF target "repositories.json" in each of them).
type Directory struct {
	Schema       int              `json:"schema"`
	Repositories []RepositoryInfo `json:"repositories"`
}

// ParseDirectory reads and checks a repositories.json document.
func ParseDirectory(data []byte) (*Directory, error) {
	var d Directory
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("repositories.json: %w", err)
	}
	if d.Schema != DirectorySchema {
		return nil, fmt.Errorf("repositories.json schema %d is not %d; update upkeep", d.Schema, DirectorySchema)
	}
	for _, r := range d.Repositories {
		if r.Name == "" || (r.Kind != "series" && r.Kind != "private") {
			return nil, fmt.Errorf("repositories.json: entry %+v needs a name and kind series or private", r)
		}
	}
	return &d, nil
}
