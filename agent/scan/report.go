package scan

import "github.com/upkeep-erp/upkeep/catalog"

// ReportSchema is the version of the Report JSON schema. Fields are only
// ever added within a schema version; a rename or removal raises it.
const ReportSchema = 1

// Report is what a scan found, as `upkeep scan --json` prints it. Lists are
// never null in JSON; they are sorted by module, then version, except
// Target (by step, then module) and Warnings (in the order found).
type Report struct {
	Schema       int               `json:"schema"`       // ReportSchema
	Core         InstalledModule   `json:"core"`         // the installed core
	Repositories []string          `json:"repositories"` // the subscribed repositories scanned, in order
	Installed    []InstalledModule `json:"installed"`
	// Patches and Updates are same-series changes that can be applied.
	Patches []Candidate `json:"patches"`
	Updates []Candidate `json:"updates"`
	// Upgrades are new-series changes that are proposed: the module's
	// effective default_upgrade is true, or its upgrades were requested.
	Upgrades []Candidate `json:"upgrades"`
	// UpgradeNotices are upgrades that exist but are taken only on request
	// (default_upgrade false); Stage says whether they could be applied.
	UpgradeNotices []Candidate `json:"upgrade_notices"`
	// NotApplicable are proposable versions that cannot be applied as things
	// stand, each with the reasons and the way out.
	NotApplicable []Candidate `json:"not_applicable"`
	NewModules    []NewModule `json:"new_modules"` // install requests and what they need
	Paths         []Path      `json:"paths"`       // upgrades an old instance reaches only through earlier versions
	Held          []Held      `json:"held"`
	// Disabled are the modules Upkeep disabled that are not installed now,
	// each with what installing it again would take (AddDisabled).
	Disabled []DisabledModule `json:"disabled"`
	// Target is the consistent set of changes the scan proposes, in steps:
	// each step's result is consistent; a later step needs the earlier ones.
	Target []Change `json:"target"`
	// Exposed are the advisories affecting installed versions that the
	// target does not fix, by module then advisory id.
	Exposed  []Exposure `json:"exposed"`
	Warnings []string   `json:"warnings"`

	in *inputs // what Plan needs to plan again with other options
}

// InstalledModule is an installed module as the scan saw it.
type InstalledModule struct {
	Module  string          `json:"module"`
	Version catalog.Version `json:"version"`
	Core    bool            `json:"core,omitempty"`
	Source  string          `json:"source,omitempty"` // as the agent gave it (disk, ledger…)
}

// Candidate is one newer version of an installed module.
type Candidate struct {
	Module     string             `json:"module"`
	From       catalog.Version    `json:"from"` // the installed version
	To         catalog.Version    `json:"to"`
	Kind       catalog.ChangeKind `json:"kind"` // patch, update or upgrade
	Maturity   catalog.Maturity   `json:"maturity"`
	Summary    string             `json:"summary,omitempty"`
	Repository string             `json:"repository"`
	Source     string             `json:"source,omitempty"` // where the installed version was read
	// Stage is the step at which the version can be applied: 1 now, 2 after
	// the changes of step 1 (e.g. an old instance's intermediate update), and
	// so on; 0 when it cannot be applied as things stand.
	Stage  int    `json:"stage"`
	Notice string `json:"notice,omitempty"` // for upgrade notices: why it is not proposed
	Path   *Path  `json:"path,omitempty"`   // the versions to go through first, when upgrade_from requires it
	Why    *Why   `json:"why,omitempty"`    // when Stage is 0: why, and the way out
	// Notes are the release notes of every listed version in (From, To],
	// newest first; Fixes the advisories affecting From and not To.
	Notes []VersionNotes     `json:"notes,omitempty"`
	Fixes []catalog.Advisory `json:"fixes,omitempty"`
	// FailedHere: an earlier apply of this version on this instance failed and was restored.
	FailedHere *FailedHere `json:"failed_here,omitempty"`
}

// Why explains a version that cannot be applied.
type Why struct {
	Reasons  []string  `json:"reasons"`            // everything below, in words
	Unmet    []Unmet   `json:"unmet,omitempty"`    // its dependencies that cannot be met
	Blockers []Blocker `json:"blockers,omitempty"` // installed modules whose dependencies exclude it
	// Disable is the smallest set of installed modules to disable so that it
	// applies (disabling a module disables the installed modules that depend
	// on it, which the set includes). Empty when Resolvable is false.
	Disable []Disable `json:"disable,omitempty"`
	// DisableMinimal is true when no smaller set exists; false when the
	// search was cut short and the set is only a small one.
	DisableMinimal bool `json:"disable_minimal,omitempty"`
	// Resolvable says whether disabling Disable makes the version
	// applicable. It is absent for upgrade notices, whose disable sets are not
	// computed: request the upgrade to see them.
	Resolvable *bool `json:"resolvable,omitempty"`
}

// Unmet is a dependency of a candidate that no applicable version meets.
type Unmet struct {
	Module    string          `json:"module"`
	Needs     string          `json:"needs"`              // the dependency, e.g. "core>=3.0.0"
	Installed catalog.Version `json:"installed,omitzero"` // zero when the module is not installed
	Note      string          `json:"note,omitempty"`
}

// Blocker is an installed module whose own dependency excludes a candidate.
type Blocker struct {
	Module  string          `json:"module"`
	Version catalog.Version `json:"version"`
	Needs   string          `json:"needs"` // its dependency, e.g. "core>=2.50.0, i.e. <2.51"
	WayOut  *WayOut         `json:"way_out,omitempty"`
	Held    bool            `json:"held,omitempty"`
}

// WayOut is a newer version of a blocker that accepts the candidate: a
// better way out than disabling the blocker.
type WayOut struct {
	To        catalog.Version    `json:"to"`
	Kind      catalog.ChangeKind `json:"kind"`
	OnRequest bool               `json:"on_request,omitempty"` // an upgrade taken only when requested
	Text      string             `json:"text"`
}

// Disable is an installed module to disable.
type Disable struct {
	Module  string          `json:"module"`
	Version catalog.Version `json:"version"`
	Reason  string          `json:"reason"`
}

// NewModule is a module to install: one requested, or one a requested
// module needs (NeededBy).
type NewModule struct {
	Module     string           `json:"module"`
	Version    catalog.Version  `json:"version,omitzero"` // zero when no version can be installed
	Maturity   catalog.Maturity `json:"maturity"`
	Summary    string           `json:"summary,omitempty"`
	Repository string           `json:"repository,omitempty"`
	NeededBy   string           `json:"needed_by,omitempty"`
	Stage      int              `json:"stage"`             // the step that installs it; 0 when none
	Reasons    []string         `json:"reasons,omitempty"` // why not installable, or why not a newer version
}

// Path is how an old instance reaches a version whose upgrade_from is above
// the installed version.
type Path struct {
	Module string            `json:"module"`
	To     catalog.Version   `json:"to"`
	Needs  catalog.Version   `json:"needs"` // the upgrade_from of To
	Steps  []catalog.Version `json:"steps"` // the versions to install in turn, To last; empty when none leads there
	Text   string            `json:"text"`
}

// Held is a held module; Available lists the newer versions it is kept from.
type Held struct {
	Module    string            `json:"module"`
	Version   catalog.Version   `json:"version"`
	Reason    string            `json:"reason,omitempty"`
	Available []catalog.Version `json:"available"`
}

// Change is one module's move in the proposed target.
type Change struct {
	Stage      int                `json:"stage"`
	Module     string             `json:"module"`
	From       catalog.Version    `json:"from,omitzero"` // zero for a new module
	To         catalog.Version    `json:"to"`
	Kind       catalog.ChangeKind `json:"kind"`
	Repository string             `json:"repository"`
	Notes      []VersionNotes     `json:"notes,omitempty"` // of every listed version in (From, To], newest first
	Fixes      []catalog.Advisory `json:"fixes,omitempty"` // the advisories affecting From and not To
	FailedHere *FailedHere        `json:"failed_here,omitempty"`
}

// VersionNotes are the release notes of one version (Markdown, as text).
type VersionNotes struct {
	Version catalog.Version `json:"version"`
	Notes   string          `json:"notes"`
}

// Exposure is an advisory that affects an installed module and that the
// proposed target leaves open.
type Exposure struct {
	Module   string           `json:"module"`
	Version  catalog.Version  `json:"version"` // installed
	Advisory catalog.Advisory `json:"advisory"`
	// FixedIn is the lowest listed version above the installed one that the
	// advisory does not affect; zero when no listed version fixes it.
	FixedIn catalog.Version `json:"fixed_in,omitzero"`
}

// Highest returns the highest severity among advs; ok is false when there is none.
func Highest(advs []catalog.Advisory) (sev catalog.Severity, ok bool) {
	for _, a := range advs {
		if !ok || a.Severity > sev {
			sev, ok = a.Severity, true
		}
	}
	return sev, ok
}
