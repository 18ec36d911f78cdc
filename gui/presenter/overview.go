package presenter

import (
	"fmt"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// Conn is the state of the tray's connection to the agent.
type Conn int

// The connection states.
const (
	Connecting Conn = iota // not asked yet
	Online                 // the agent answers
	Offline                // the agent does not answer; retrying
	Refused                // the agent refused the connection (permissions)
)

// Snapshot is everything the tray knows about the agent at one moment.
type Snapshot struct {
	Conn    Conn
	Err     error         // why Offline or Refused
	RetryIn time.Duration // when Offline or Refused: the wait before the next attempt
	RetryAt time.Time     // and when that is (zero: unknown)
	Status  *api.Status
	Report  *api.SavedReport // nil when no scan has been saved yet
	// LastRun is the newest apply or rehearsal; nil when there is none or
	// the agent does not keep runs (RunsAvailable false).
	LastRun       *api.Run
	RunsAvailable bool
	ReportErr     error // why Report is nil, when reading it failed
}

// CanAct says whether the caller may act (root or the admin group).
func (s Snapshot) CanAct() bool {
	return s.Conn == Online && s.Status != nil && s.Status.Caller.CanAct
}

// Counts are the numbers behind the icon and the status line.
type Counts struct {
	Patches, Updates, Upgrades, Blocked, Warnings int
}

// Count counts what a report offers: proposed upgrades and upgrade notices
// both count as upgrades.
func Count(r *api.Report) Counts {
	if r == nil {
		return Counts{}
	}
	return Counts{Patches: len(r.Patches), Updates: len(r.Updates),
		Upgrades: len(r.Upgrades) + len(r.UpgradeNotices), Blocked: len(r.NotApplicable), Warnings: len(r.Warnings)}
}

func (s Snapshot) report() *api.Report {
	if s.Report == nil {
		return nil
	}
	return s.Report.Report
}

// Running is the apply or rehearsal in progress, or nil.
func (s Snapshot) Running() *api.Run {
	if s.Conn != Online || s.Status == nil {
		return nil
	}
	return s.Status.Running
}

// LastFailed says whether the newest run failed (and so was restored, or
// its restore failed).
func (s Snapshot) LastFailed() bool {
	return s.LastRun != nil && s.LastRun.Ended != nil && Failure(s.LastRun.State)
}

// Failure says whether a run's final state is a failure.
func Failure(state string) bool {
	switch state {
	case "failed", "restored", "failed-restored", "restore-failed":
		return true
	}
	return false
}

// Restored says whether a run's final state means the instance was put
// back exactly as it was before the run.
func Restored(state string) bool { return state == "restored" || state == "failed-restored" }

// StatusLine is the tray's one-line status now.
func (s Snapshot) StatusLine() string { return s.StatusLineAt(time.Now()) }

// StatusLineAt is the one-line status at now: while the agent does not
// answer, it counts down to the next attempt.
func (s Snapshot) StatusLineAt(now time.Time) string {
	switch s.Conn {
	case Connecting:
		return "Connecting to the Upkeep agent…"
	case Offline:
		return "Agent unreachable: " + s.retryText(now)
	case Refused:
		return "Agent refused the connection: " + s.retryText(now)
	}
	if run := s.Running(); run != nil {
		return runningLine(run)
	}
	if s.LastFailed() {
		return lastFailedLine(s.LastRun)
	}
	if s.Report == nil {
		return "No scan yet: choose Check now"
	}
	line := countsLine(Count(s.report()))
	if at := shortTime(s.Report.At); at != "" {
		line += " · checked " + at
	}
	return line
}

// lostLine is the status while the agent does not answer, with the next
// attempt's time (it does not go stale).
func (s Snapshot) lostLine() string {
	what := "Agent unreachable"
	if s.Conn == Refused {
		what = "Agent refused the connection"
	}
	if s.RetryAt.IsZero() {
		return what + ": retrying by itself"
	}
	return what + ": next try at " + s.RetryAt.Local().Format("15:04:05")
}

func (s Snapshot) retryText(now time.Time) string {
	d := s.RetryIn
	if !s.RetryAt.IsZero() {
		d = s.RetryAt.Sub(now)
	}
	if d < time.Second/2 {
		return "reconnecting…"
	}
	return fmt.Sprintf("retrying in %s", d.Round(time.Second))
}

func runningLine(run *api.Run) string {
	what := "Applying"
	if run.Kind == "rehearse" {
		what = "Rehearsing"
	}
	if run.Step == "" {
		return what + "…"
	}
	return what + ": " + run.Step
}

func lastFailedLine(run *api.Run) string {
	what := "apply"
	if run.Kind == "rehearse" {
		what = "rehearsal"
	}
	line := "Last " + what + " failed"
	if run.Step != "" {
		line += " at “" + run.Step + "”"
	}
	switch {
	case Restored(run.State):
		return line + "; the instance was restored"
	case run.State == "restore-failed":
		return line + " and its restore failed: see History"
	case run.State == "failed":
		return line + "; nothing was changed"
	}
	return line
}

// countsLine says what is on offer, e.g. "1 patch, 2 updates · 1 blocked".
func countsLine(c Counts) string {
	var parts []string
	add := func(n int, one, many string) {
		if n == 1 {
			parts = append(parts, "1 "+one)
		} else if n > 1 {
			parts = append(parts, fmt.Sprintf("%d %s", n, many))
		}
	}
	add(c.Patches, "patch", "patches")
	add(c.Updates, "update", "updates")
	add(c.Upgrades, "upgrade", "upgrades")
	line := "Up to date"
	if len(parts) > 0 {
		line = strings.Join(parts, ", ") + " available"
	}
	if c.Blocked > 0 {
		line += fmt.Sprintf(" · %d blocked", c.Blocked)
	}
	return line
}

// shortTime renders an RFC 3339 time as local hours and minutes, with the
// date when it is not today.
func shortTime(rfc string) string {
	t, err := time.Parse(time.RFC3339, rfc)
	if err != nil {
		return ""
	}
	return When(t, time.Now())
}

// When renders t for a person reading it at now.
func When(t, now time.Time) string {
	t, now = t.Local(), now.Local()
	if t.Year() == now.Year() && t.YearDay() == now.YearDay() {
		return t.Format("15:04")
	}
	if t.Year() == now.Year() {
		return t.Format("Jan 2 15:04")
	}
	return t.Format("2006-01-02 15:04")
}
