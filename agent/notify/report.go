package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/store"
)

// Subject is the e-mail subject for events: the most severe one's title,
// with how many more there are.
func Subject(host string, events []store.Event) string {
	top := events[0]
	for _, e := range events[1:] {
		if rank(e.Level) > rank(top.Level) || rank(e.Level) == rank(top.Level) && e.Urgent() && !top.Urgent() {
			top = e
		}
	}
	s := fmt.Sprintf("[upkeep %s] %s", helloName(host), top.Title)
	if Urgent(events) && !top.Urgent() {
		s = fmt.Sprintf("[upkeep %s] [URGENT] %s", helloName(host), top.Title)
	}
	if len(events) > 1 {
		s += fmt.Sprintf(" (and %d more)", len(events)-1)
	}
	return store.OneLine(s, 180)
}

// Urgent reports whether some event is urgent (store.Event.Urgent).
func Urgent(events []store.Event) bool {
	for _, e := range events {
		if e.Urgent() {
			return true
		}
	}
	return false
}

func rank(level string) int {
	switch level {
	case store.LevelError:
		return 2
	case store.LevelWarning:
		return 1
	}
	return 0
}

// Report is the plain-text report of events that the e-mail carries: a
// numbered list, most severe first, each with its time in loc (default
// time.Local), kind, id and body.
func Report(host string, events []store.Event, loc *time.Location) string {
	if loc == nil {
		loc = time.Local
	}
	ordered := make([]store.Event, len(events))
	copy(ordered, events)
	sortBySeverity(ordered)
	var b strings.Builder
	noun := "events"
	if len(events) == 1 {
		noun = "event"
	}
	fmt.Fprintf(&b, "Upkeep on %s: %d %s\n\n", helloName(host), len(events), noun)
	for i, e := range ordered {
		label := ""
		if e.Level != store.LevelInfo {
			label = "[" + strings.ToUpper(e.Level) + "] "
		}
		fmt.Fprintf(&b, "%d. %s%s\n", i+1, label, e.Title)
		fmt.Fprintf(&b, "   %s, %s, event %d\n", when(e.At, loc), e.Kind, e.ID)
		if body := strings.TrimRight(e.Body, "\n"); body != "" {
			b.WriteString("\n")
			for line := range strings.SplitSeq(body, "\n") {
				b.WriteString(strings.TrimRight("   "+line, " ") + "\n")
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("-- \nSent by the Upkeep agent. `upkeep status` lists every event.\n")
	return b.String()
}

func sortBySeverity(evs []store.Event) {
	for i := 1; i < len(evs); i++ { // stable insertion sort: few events
		for j := i; j > 0 && rank(evs[j].Level) > rank(evs[j-1].Level); j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}

func when(at string, loc *time.Location) string {
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return at
	}
	return t.In(loc).Format("Mon 2 Jan 2006 15:04 MST")
}
