package presenter

import (
	"fmt"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// StepLine is one step of a run as the Run and History screens list it.
type StepLine struct {
	Name    string
	Status  string // started, done, failed, skipped
	Elapsed time.Duration
	Output  []string // the step's output lines (the last OutputLines of them)
}

// OutputLines is how many output lines a step keeps for the screens.
const OutputLines = 200

// Progress follows one run from its events. Not safe for concurrent use.
type Progress struct {
	Run   api.Run
	Steps []StepLine
	Seq   int64 // the last event seen: watch again from here after a reconnect
	// CancelRefused is the agent's answer when it refused to cancel
	// (past the point of no return).
	CancelRefused string
}

// NewProgress starts following run.
func NewProgress(run api.Run) *Progress { return &Progress{Run: run} }

// Add takes one event; events already seen (Seq) are ignored.
func (p *Progress) Add(ev api.RunEvent) {
	if ev.Seq != 0 && ev.Seq <= p.Seq {
		return
	}
	if ev.Seq != 0 {
		p.Seq = ev.Seq
	}
	i := p.step(ev.Step)
	s := &p.Steps[i]
	switch ev.Status {
	case "log":
		s.Output = append(s.Output, ev.Message)
		if len(s.Output) > OutputLines {
			s.Output = s.Output[len(s.Output)-OutputLines:]
		}
		return
	case "failed":
		if ev.Message != "" {
			s.Output = append(s.Output, ev.Message)
		}
	}
	s.Status = ev.Status
	if ev.Elapsed > 0 {
		s.Elapsed = time.Duration(ev.Elapsed * float64(time.Second))
	}
	if ev.Status == "started" {
		p.Run.Step = ev.Step
	}
}

// step returns the index of the step named name, adding it when new.
func (p *Progress) step(name string) int {
	for i := len(p.Steps) - 1; i >= 0; i-- {
		if p.Steps[i].Name == name {
			return i
		}
	}
	p.Steps = append(p.Steps, StepLine{Name: name, Status: "started"})
	return len(p.Steps) - 1
}

// Finish takes the run's final state.
func (p *Progress) Finish(run api.Run) { p.Run = run }

// Ended says whether the run is over.
func (p *Progress) Ended() bool {
	return p.Run.Ended != nil || (p.Run.State != "running" && p.Run.State != "restoring" && p.Run.State != "")
}

// CanCancel says whether to offer Cancel: while the run goes on and the
// agent has not refused (the agent alone knows the point of no return).
func (p *Progress) CanCancel() bool { return !p.Ended() && p.CancelRefused == "" }

// Current is the step in progress and its last output lines, or "".
func (p *Progress) Current(lines int) (string, []string) {
	for i := len(p.Steps) - 1; i >= 0; i-- {
		if p.Steps[i].Status == "started" {
			return p.Steps[i].Name, tail(p.Steps[i].Output, lines)
		}
	}
	return "", nil
}

// Failed is the step that failed and its output, if one did.
func (p *Progress) Failed() (StepLine, bool) {
	for _, s := range p.Steps {
		if s.Status == "failed" {
			return s, true
		}
	}
	return StepLine{}, false
}

// Elapsed is how long the run has taken so far (or took) at now.
func (p *Progress) Elapsed(now time.Time) time.Duration {
	if p.Run.Started.IsZero() {
		return 0
	}
	if p.Run.Ended != nil {
		return p.Run.Ended.Sub(p.Run.Started)
	}
	return now.Sub(p.Run.Started)
}

// Headline says what the run is doing or how it ended.
func (p *Progress) Headline(now time.Time) string {
	if !p.Ended() {
		return fmt.Sprintf("%s %s running for %s", runWord(p.Run.Kind), p.Run.ID, Round(p.Elapsed(now)))
	}
	if p.Run.State == "succeeded" {
		return fmt.Sprintf("%s %s succeeded in %s", runWord(p.Run.Kind), p.Run.ID, Round(p.Elapsed(now)))
	}
	return Outcome(p.Run)
}

// Outcome says how an ended run ended, for a person.
func Outcome(r api.Run) string {
	what := runWord(r.Kind) + " " + r.ID
	switch {
	case r.State == "succeeded":
		return what + " succeeded"
	case Restored(r.State):
		return what + " failed; the instance was restored to how it was before"
	case r.State == "restore-failed":
		return what + " failed and its restore failed: " + r.Error
	case r.State == api.RunCancelled:
		return what + " was cancelled before the ERP was touched: nothing changed"
	case r.State == "failed" && r.Kind == "rehearse":
		return what + " failed on the throwaway copy: production was not touched"
	case r.State == "failed":
		return what + " failed before the ERP was touched: nothing changed"
	}
	return what + " " + r.State
}

func runWord(kind string) string {
	if kind == "rehearse" {
		return "Rehearsal"
	}
	return "Apply"
}

func tail(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}
