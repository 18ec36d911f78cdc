package scan

import (
	"fmt"

	"github.com/upkeep-erp/upkeep/catalog"
)

// FailedHere is an earlier apply on this instance that tried a version,
// failed and was restored.
type FailedHere struct {
	Run  int64  `json:"run"`
	On   string `json:"on"`   // the run's date, YYYY-MM-DD (UTC)
	Text string `json:"text"` // "failed here on DATE (run N), restored"
}

// NewFailedHere describes run's failure, on the date on.
func NewFailedHere(run int64, on string) *FailedHere {
	return &FailedHere{Run: run, On: on, Text: fmt.Sprintf("failed here on %s (run %d), restored", on, run)}
}

// MarkFailedHere marks each candidate and target change whose module and
// target version are in failed (keyed by FailedKey).
func (r *Report) MarkFailedHere(failed map[string]*FailedHere) {
	if len(failed) == 0 {
		return
	}
	for _, cs := range [][]Candidate{r.Patches, r.Updates, r.Upgrades, r.UpgradeNotices, r.NotApplicable} {
		for i := range cs {
			cs[i].FailedHere = failed[FailedKey(cs[i].Module, cs[i].To)]
		}
	}
	for i := range r.Target {
		r.Target[i].FailedHere = failed[FailedKey(r.Target[i].Module, r.Target[i].To)]
	}
}

// FailedKey is the key of module's version v in MarkFailedHere's map.
func FailedKey(module string, v catalog.Version) string { return module + " " + v.String() }
