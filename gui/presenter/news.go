package presenter

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// Notification is one desktop notification.
type Notification struct {
	Title, Body string
	// Open is the window's target its "Open" action shows (a screen, or
	// "run:ID" for a run); "" for the screen last shown.
	Open string
}

// News decides which desktop notifications to send: each new upgrade,
// blocked update and finished run once, however often the agent scans.
// It remembers what it announced by key ("upgrade:core:3.0.0",
// "blocked:core:3.0.0", "run:42", "event:17"); Keys gives them to save
// between sessions. Not safe for concurrent use.
type News struct {
	seen  map[string]bool
	order []string
	fresh bool // nothing was remembered: the first look is quiet about old runs
	// Since is the newest history event already announced.
	Since int64
}

// maxKeys bounds what News remembers; the oldest keys go first.
const maxKeys = 500

// NewNews starts from the keys a previous session saved (Keys) and the
// newest event it announced.
func NewNews(keys []string, since int64) *News {
	n := &News{seen: map[string]bool{}, fresh: len(keys) == 0 && since == 0, Since: since}
	for _, k := range keys {
		n.mark(k)
	}
	return n
}

// Keys is what to save for the next session.
func (n *News) Keys() []string { return append([]string(nil), n.order...) }

// mark remembers key and reports whether it was new.
func (n *News) mark(key string) bool {
	if n.seen[key] {
		return false
	}
	n.seen[key] = true
	n.order = append(n.order, key)
	if len(n.order) > maxKeys {
		delete(n.seen, n.order[0])
		n.order = n.order[1:]
	}
	return true
}

// FromReport announces the upgrades and blocked updates of a scan that
// were not announced before, in one notification (none when nothing is new).
// Patches and updates show in the icon and menu; they are not news.
func (n *News) FromReport(r *api.Report) []Notification {
	if r == nil {
		return nil
	}
	var ups, blocked []string
	for _, c := range slices.Concat(r.Upgrades, r.UpgradeNotices) {
		if n.mark("upgrade:" + c.Module + ":" + c.To.String()) {
			ups = append(ups, c.Module+" "+c.To.String())
		}
	}
	for _, c := range r.NotApplicable {
		if n.mark("blocked:" + c.Module + ":" + c.To.String()) {
			blocked = append(blocked, c.Module+" "+c.To.String())
		}
	}
	var lines []string
	if len(ups) > 0 {
		lines = append(lines, "Upgrade available: "+strings.Join(ups, ", "))
	}
	if len(blocked) > 0 {
		lines = append(lines, "Blocked as things stand: "+strings.Join(blocked, ", ")+" (see Blocked)")
	}
	if len(lines) == 0 {
		return nil
	}
	open := "upgrades"
	if len(blocked) > 0 {
		open = "blocked"
	}
	return []Notification{{Title: "Upkeep: " + newsTitle(len(ups), len(blocked)), Body: strings.Join(lines, "\n"), Open: open}}
}

func newsTitle(ups, blocked int) string {
	var parts []string
	if ups > 0 {
		parts = append(parts, plural(ups, "new upgrade", "new upgrades"))
	}
	if blocked > 0 {
		parts = append(parts, plural(blocked, "blocked update", "blocked updates"))
	}
	return strings.Join(parts, ", ")
}

// FromRuns announces each run that ended and was not announced before.
// On the very first look (nothing remembered) runs that ended before
// started are remembered quietly: they are history, not news.
func (n *News) FromRuns(runs []api.Run, started time.Time) []Notification {
	var out []Notification
	for _, r := range runs {
		if r.Ended == nil || !n.mark("run:"+r.ID) {
			continue
		}
		if n.fresh && r.Ended.Before(started) {
			continue
		}
		out = append(out, RunNotification(r))
	}
	return out
}

// RunNotification says how a run ended.
func RunNotification(r api.Run) Notification {
	title := "Upkeep: " + strings.ToLower(runWord(r.Kind))
	switch {
	case r.State == "succeeded":
		return Notification{Title: title + " succeeded", Body: Outcome(r) + byWhom(r), Open: "run"}
	case Restored(r.State):
		title += " failed, instance restored"
	case r.State == "restore-failed":
		title = "Upkeep: restore failed — action needed"
	default:
		title += " " + r.State
	}
	body := Outcome(r)
	if r.Step != "" && r.State != api.RunCancelled {
		body += " (at “" + r.Step + "”)"
	}
	if r.Error != "" && r.State != "restore-failed" {
		body += ". " + r.Error
	}
	return Notification{Title: title, Body: body, Open: "run"}
}

func byWhom(r api.Run) string {
	if r.By == "" {
		return ""
	}
	return " (started by " + r.By + ")"
}

// FromEvents announces the agent's history events after Since that the
// agent marks for a person (Event.Notify: not the routine ones such as
// "nothing new"), each once, and moves Since on; on the very first look,
// events from before started are history, not news. When the agent keeps a
// history it is the only source of news: FromReport and FromRuns are then
// not needed.
func (n *News) FromEvents(evs []api.Event, started time.Time) []Notification {
	var out []Notification
	for _, ev := range evs {
		if ev.ID <= n.Since {
			continue
		}
		n.Since = ev.ID
		if !ev.Notify || !n.mark(fmt.Sprintf("event:%d", ev.ID)) || (n.fresh && ev.At.Before(started)) {
			continue
		}
		out = append(out, Notification{Title: "Upkeep: " + eventTitle(ev.Kind), Body: ev.Summary, Open: eventScreen(ev.Kind)})
	}
	return out
}

// eventScreen is the screen a notification of an event of kind opens on.
func eventScreen(kind string) string {
	switch kind {
	case "patches", "updates", "staged":
		return "updates"
	case "reinstallable":
		return "installed"
	case "upgrade-available":
		return "upgrades"
	case "blocked":
		return "blocked"
	case "applied", "failed-restored", "restore-failed", "rehearsal-failed", "rehearsal-passed", "cancelled":
		return "run"
	}
	return "history"
}

func eventTitle(kind string) string {
	switch kind {
	case "patches":
		return "new patches"
	case "updates":
		return "new updates"
	case "upgrade-available":
		return "upgrade available"
	case "blocked":
		return "blocked updates"
	case "staged":
		return "changes downloaded and staged"
	case "applied":
		return "changes applied"
	case "failed-restored":
		return "apply failed, instance restored"
	case "restore-failed":
		return "restore failed — action needed"
	case "rehearsal-failed":
		return "rehearsal failed"
	case "rehearsal-passed":
		return "rehearsal passed"
	case "unreachable":
		return "repositories unreachable"
	case "problem":
		return "a step could not run"
	case "disk-full":
		return "a disk is full"
	case "reinstallable":
		return "a disabled module can be installed again"
	}
	return strings.NewReplacer("_", " ", "-", " ").Replace(kind)
}
