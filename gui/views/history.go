package views

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/presenter"
)

// History lists past runs and, for the one chosen, its steps with their
// timings and output (the record step's output holds the settings drift
// report); below, the agent's history of events.
type History struct {
	root    fyne.CanvasObject
	Runs    *fyne.Container
	Detail  *fyne.Container
	Events  *fyne.Container
	Rows    []presenter.HistoryRow
	Details map[string]*widget.Button // "Details" by run ID
	Steps   *widget.Accordion         // the chosen run's steps, each with its output
	w       *Window
	loading bool
}

func newHistory(w *Window) *History {
	h := &History{w: w, Runs: container.NewVBox(widget.NewLabel("Loading…")), Detail: container.NewVBox(), Events: container.NewVBox()}
	body := container.NewVBox(bold("Runs"), h.Runs, h.Detail, widget.NewSeparator(), bold("Events"), h.Events)
	h.root = container.NewScroll(body)
	return h
}

// Load reads the runs and the events.
func (h *History) Load() {
	if h.loading {
		return
	}
	h.loading = true
	var (
		runs          []api.Run
		evs           []api.Event
		runErr, evErr error
	)
	h.w.env.background(func(ctx context.Context) {
		runs, runErr = h.w.env.Agent.Runs(ctx, 50)
		evs, evErr = h.w.env.Agent.Events(ctx, api.EventQuery{Limit: 100})
	}, func() {
		h.loading = false
		h.showRuns(runs, runErr)
		h.showEvents(evs, evErr)
		if len(h.Rows) > 0 && len(h.Detail.Objects) == 0 {
			h.ShowRun(h.Rows[0].ID) // the newest run's details until another is chosen
		}
	})
}

func (h *History) showRuns(runs []api.Run, err error) {
	h.Runs.RemoveAll()
	h.Details = map[string]*widget.Button{}
	if err != nil {
		h.Runs.Add(unavailable("The run history", err, "`upkeep history` on the host lists the runs made with the command line."))
		return
	}
	h.Rows = presenter.HistoryRows(runs, h.w.env.Now())
	if len(h.Rows) == 0 {
		h.Runs.Add(widget.NewLabel("No apply or rehearsal has run yet."))
	}
	rows := [][]fyne.CanvasObject{{bold("Run"), bold("Plan"), bold("Kind"), bold("State"), bold("Started"), bold("Took"), bold("By"), widget.NewLabel(""), widget.NewLabel("")}}
	for _, r := range h.Rows {
		id := r.ID
		state := widget.NewLabel(r.State)
		if r.Failed {
			state.Importance = widget.DangerImportance
		}
		btn := widget.NewButton("Details", func() { h.ShowRun(id) })
		h.Details[id] = btn
		rows = append(rows, []fyne.CanvasObject{widget.NewLabel(r.ID), widget.NewLabel(r.Plan), widget.NewLabel(r.Kind), state,
			widget.NewLabel(r.Started), widget.NewLabel(orDash(r.Took)), widget.NewLabel(orDash(r.By)), btn, widget.NewLabel("")})
	}
	if len(h.Rows) > 0 {
		h.Runs.Add(table(rows...))
	}
}

// unavailable says a list cannot be read, and for NotAvailable what to use instead.
func unavailable(what string, err error, instead string) fyne.CanvasObject {
	if presenter.Classify(err) == presenter.NotAvailable {
		return note(what+" is not available from this agent yet (it arrives with an agent update). "+instead, widget.WarningImportance)
	}
	return note(presenter.Explain("Read "+strings.ToLower(what[:1])+what[1:], err), widget.DangerImportance)
}

func (h *History) showEvents(evs []api.Event, err error) {
	h.Events.RemoveAll()
	if err != nil {
		h.Events.Add(unavailable("The event history", err, "Scans show on the other screens as they happen."))
		return
	}
	if len(evs) == 0 {
		h.Events.Add(widget.NewLabel("No events yet."))
	}
	for i := len(evs) - 1; i >= 0; i-- { // newest first
		ev := evs[i]
		l := wrapped(presenter.When(ev.At, h.w.env.Now()) + "  " + ev.Summary)
		switch ev.Severity {
		case "warning":
			l.Importance = widget.WarningImportance
		case "error":
			l.Importance = widget.DangerImportance
		}
		h.Events.Add(l)
	}
}

// ShowRun reads one run's events and shows its steps, timings and output.
func (h *History) ShowRun(id string) {
	p := presenter.NewProgress(api.Run{ID: id})
	var runErr, err error
	var run *api.Run
	h.w.env.background(func(ctx context.Context) {
		run, runErr = h.w.env.Agent.Run(ctx, id)
		err = h.w.env.Agent.WatchRun(ctx, id, 0, func(ev api.RunEvent) error { p.Add(ev); return nil })
	}, func() {
		h.Detail.RemoveAll()
		if runErr == nil {
			p.Finish(*run)
		}
		h.Detail.Add(bold(p.Headline(h.w.env.Now())))
		if err != nil {
			h.Detail.Add(note(presenter.Explain("Read the run's steps", err), widget.DangerImportance))
			return
		}
		items := make([]*widget.AccordionItem, 0, len(p.Steps))
		for _, s := range p.Steps {
			title := s.Status + " · " + s.Name
			if s.Elapsed > 0 {
				title += " · " + presenter.Round(s.Elapsed).String()
			}
			out := "(no output)"
			if len(s.Output) > 0 {
				out = strings.Join(s.Output, "\n")
			}
			items = append(items, widget.NewAccordionItem(title, mono(out)))
		}
		h.Steps = widget.NewAccordion(items...)
		h.Steps.MultiOpen = true
		h.Detail.Add(h.Steps)
	})
}
