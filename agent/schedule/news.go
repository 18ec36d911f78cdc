package schedule

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/scan"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
)

// titleNames is how many module versions a title names before "and N more".
const titleNames = 3

// News returns the events a scan report is news for: new patches, updates,
// upgrades available, blocked versions, or nothing new. Each has a news key
// made of the kind and the sorted versions, so the same news is recorded and
// sent once however many scans see it.
func News(r *scan.Report) []store.Event {
	var out []store.Event
	add := func(kind, level string, cands []scan.Candidate, one, many string) {
		if len(cands) == 0 {
			return
		}
		title := fmt.Sprintf(many, len(cands)) + ": " + names(cands)
		if len(cands) == 1 {
			title = one + ": " + names(cands)
		}
		out = append(out, store.Event{Kind: kind, Level: level, Title: title, Body: candidatesBody(cands),
			NewsKey: newsKey(kind, versionList(cands)), Notify: true})
	}
	add(store.EventPatches, store.LevelInfo, r.Patches, "New patch", "%d new patches")
	add(store.EventUpdates, store.LevelInfo, r.Updates, "Update available", "%d updates available")
	add(store.EventUpgrades, store.LevelInfo, append(append([]scan.Candidate{}, r.Upgrades...), r.UpgradeNotices...),
		"Upgrade available", "%d upgrades available")
	add(store.EventBlocked, store.LevelWarning, r.NotApplicable,
		"Cannot be applied as things stand", "%d versions cannot be applied as things stand")
	out = append(out, reinstallable(r.Disabled)...)
	out = append(security(r), out...)
	if len(out) > 0 && len(r.Warnings) > 0 {
		out[0].Body += "\nWarnings:\n  " + strings.Join(r.Warnings, "\n  ") + "\n"
	}
	if len(out) == 0 {
		var inst []string
		for _, m := range r.Installed {
			inst = append(inst, m.Module+"@"+m.Version.String())
		}
		body := ""
		if len(r.Warnings) > 0 {
			body = "Warnings:\n  " + strings.Join(r.Warnings, "\n  ") + "\n"
		}
		out = append(out, store.Event{Kind: store.EventNothingNew, Level: store.LevelInfo,
			Title:   fmt.Sprintf("Nothing new: the %d installed modules are up to date", len(r.Installed)),
			Body:    body,
			NewsKey: newsKey(store.EventNothingNew, inst), Notify: false})
	}
	return out
}

// security is the urgent news: the newer versions that fix security
// advisories (one event for them all), and the advisories the installed
// versions stay exposed to (another).
func security(r *scan.Report) []store.Event {
	var fixes []scan.Candidate
	for _, cs := range [][]scan.Candidate{r.Patches, r.Updates, r.Upgrades, r.UpgradeNotices, r.NotApplicable} {
		for _, c := range cs {
			if len(c.Fixes) > 0 {
				fixes = append(fixes, c)
			}
		}
	}
	var out []store.Event
	if len(fixes) > 0 {
		sev, _ := scan.Highest(fixes[0].Fixes)
		for _, c := range fixes[1:] {
			s, _ := scan.Highest(c.Fixes)
			sev = max(sev, s)
		}
		var b strings.Builder
		for _, c := range fixes {
			fmt.Fprintf(&b, "  %s %s → %s (%s) fixes:\n", c.Module, c.From, c.To, c.Kind)
			for _, a := range c.Fixes {
				b.WriteString(advisoryLine(a))
			}
		}
		out = append(out, store.Event{Kind: store.EventSecurity, Level: store.LevelWarning,
			Title: fmt.Sprintf("URGENT security fix (%s): %s — %s", sev, names(fixes), store.OneLine(fixes[0].Fixes[0].Title, 80)),
			Body:  b.String(), NewsKey: newsKey(store.EventSecurity, versionList(fixes)), Notify: true})
	}
	if len(r.Exposed) > 0 {
		out = append(out, exposedEvent(r.Exposed))
	}
	return out
}

// exposedEvent lists the installed versions that keep known security holes.
func exposedEvent(es []scan.Exposure) store.Event {
	var b strings.Builder
	var keys, mods []string
	for _, e := range es {
		fix := "no published version fixes it yet"
		if !e.FixedIn.IsZero() {
			fix = "fixed in " + e.FixedIn.String() + ", which the proposed changes do not reach"
		}
		fmt.Fprintf(&b, "  %s %s: %s\n", e.Module, e.Version, fix)
		b.WriteString(advisoryLine(e.Advisory))
		keys = append(keys, e.Module+"@"+e.Version.String()+":"+e.Advisory.ID)
		if !slices.Contains(mods, e.Module+" "+e.Version.String()) {
			mods = append(mods, e.Module+" "+e.Version.String())
		}
	}
	return store.Event{Kind: store.EventExposed, Level: store.LevelWarning,
		Title: fmt.Sprintf("URGENT exposed to %d known security hole(s): %s", len(es), strings.Join(mods, ", ")),
		Body:  b.String(), NewsKey: newsKey(store.EventExposed, keys), Notify: true}
}

// advisoryLine describes an advisory on an indented line.
func advisoryLine(a catalog.Advisory) string {
	line := fmt.Sprintf("    %s %s: %s", a.Severity, a.ID, store.OneLine(a.Title, 200))
	if a.URL != "" {
		line += " " + a.URL
	}
	return line + "\n"
}

// reinstallable is the news of the modules Upkeep disabled that a version
// of can now be installed again: one event per module and version.
func reinstallable(ds []scan.DisabledModule) []store.Event {
	var out []store.Event
	for _, d := range ds {
		o := d.Offer
		if o.Version.IsZero() {
			continue
		}
		out = append(out, store.Event{Kind: store.EventReinstallable, Level: store.LevelInfo,
			Title: fmt.Sprintf("Can be installed again: %s %s", d.Module, o.Version),
			Body: fmt.Sprintf("%s %s was disabled by Upkeep (its data is kept). %s %s (%s, repository %s) fits this instance now: upkeep apply --install %s\n",
				d.Module, d.Version, d.Module, o.Version, o.Maturity, o.Repository, d.Module),
			NewsKey: newsKey(store.EventReinstallable, []string{d.Module + "@" + o.Version.String()}), Notify: true})
	}
	return out
}

// newsKey is "kind:" and the comma list, or its sha256 when long.
func newsKey(kind string, items []string) string {
	list := strings.Join(items, ",")
	if len(list) > 200 || kind == store.EventNothingNew {
		sum := sha256.Sum256([]byte(list))
		list = "sha256:" + hex.EncodeToString(sum[:12])
	}
	return kind + ":" + list
}

func versionList(cands []scan.Candidate) []string {
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = c.Module + "@" + c.To.String()
	}
	return out
}

// names lists the first module versions for a title.
func names(cands []scan.Candidate) string {
	var parts []string
	for i, c := range cands {
		if i == titleNames {
			return strings.Join(parts, ", ") + fmt.Sprintf(" and %d more", len(cands)-titleNames)
		}
		parts = append(parts, c.Module+" "+c.To.String())
	}
	return strings.Join(parts, ", ")
}

// candidatesBody describes each candidate on a line, with why it cannot be
// applied when it cannot.
func candidatesBody(cands []scan.Candidate) string {
	var b strings.Builder
	for _, c := range cands {
		fmt.Fprintf(&b, "  %s %s → %s (%s, %s", c.Module, c.From, c.To, c.Kind, c.Maturity)
		if c.Repository != "" {
			fmt.Fprintf(&b, ", repository %s", c.Repository)
		}
		b.WriteString(")")
		if c.Summary != "" {
			b.WriteString(": " + store.OneLine(c.Summary, 200))
		}
		b.WriteString("\n")
		if c.Stage > 1 {
			fmt.Fprintf(&b, "    applies at step %d, after the changes before it\n", c.Stage)
		}
		if c.Notice != "" {
			b.WriteString("    " + c.Notice + "\n")
		}
		if c.Why != nil {
			for _, r := range c.Why.Reasons {
				b.WriteString("    " + r + "\n")
			}
			if len(c.Why.Disable) > 0 {
				b.WriteString("    disabling these would let it apply: " + disableList(c.Why.Disable) + "\n")
			}
		}
	}
	return b.String()
}

func disableList(ds []scan.Disable) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Module + " " + d.Version.String()
	}
	return strings.Join(parts, ", ")
}

// planWords says what a plan changes: "2 patches: arp 1.4.0.1, core
// 2.50.21.1" or "1 patch and 1 update: …".
func planWords(p *scan.Plan) string { return planCount(p) + ": " + planNames(p) }

// planNames names the plan's first module versions.
func planNames(p *scan.Plan) string {
	var parts []string
	for i, c := range p.Changes {
		if i == titleNames {
			return strings.Join(parts, ", ") + fmt.Sprintf(" and %d more", len(p.Changes)-titleNames)
		}
		parts = append(parts, c.Module+" "+c.To.String())
	}
	return strings.Join(parts, ", ")
}

// planCount counts the plan's changes by kind: "1 patch and 1 update".
func planCount(p *scan.Plan) string {
	counts := map[catalog.ChangeKind]int{}
	for _, c := range p.Changes {
		counts[c.Kind]++
	}
	var kinds []string
	for _, k := range []catalog.ChangeKind{catalog.KindPatch, catalog.KindUpdate, catalog.KindUpgrade, catalog.KindNew} {
		if n := counts[k]; n > 0 {
			kinds = append(kinds, plural(n, k))
		}
	}
	if len(p.Disable) > 0 {
		kinds = append(kinds, fmt.Sprintf("%d to disable", len(p.Disable)))
	}
	return strings.Join(kinds, " and ")
}

func plural(n int, k catalog.ChangeKind) string {
	word := map[catalog.ChangeKind]string{catalog.KindPatch: "patch", catalog.KindUpdate: "update",
		catalog.KindUpgrade: "upgrade", catalog.KindNew: "new module"}[k]
	if n == 1 {
		return "1 " + word
	}
	if k == catalog.KindPatch {
		return fmt.Sprintf("%d patches", n)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// PlanBody lists a plan's changes, one per line, and its hash: the body
// of an event about the plan.
func PlanBody(p *scan.Plan) string {
	var b strings.Builder
	for _, d := range p.Disable {
		fmt.Fprintf(&b, "  disable %s %s: %s\n", d.Module, d.Version, d.Reason)
	}
	for _, c := range p.Changes {
		fmt.Fprintf(&b, "  %s %s → %s (%s)\n", c.Module, c.From, c.To, c.Kind)
	}
	fmt.Fprintf(&b, "Plan %s\n", p.Hash)
	return b.String()
}

// planEvent is an event about what the schedule did with a plan; its news
// key is kind and plan hash, so it is recorded once per plan.
func planEvent(kind, level, title, body string, p *scan.Plan, notify bool) store.Event {
	return store.Event{Kind: kind, Level: level, Title: title, Body: body + PlanBody(p),
		NewsKey: kind + ":" + p.Hash, PlanHash: p.Hash, Notify: notify}
}

// problemEvent says a step could not run for a plan; recorded once per
// step and plan.
func problemEvent(step string, p *scan.Plan, err error) store.Event {
	e := planEvent(store.EventProblem, store.LevelWarning,
		fmt.Sprintf("Could not %s %s", step, planWords(p)),
		"Error: "+err.Error()+"\nThe schedule tries again at the next scan.\n", p, true)
	e.NewsKey = store.EventProblem + ":" + step + ":" + p.Hash
	return e
}

// planFailedEvent says the scan's changes could not be planned; recorded
// once per distinct error.
func planFailedEvent(err error) store.Event {
	sum := sha256.Sum256([]byte(err.Error()))
	return store.Event{Kind: store.EventProblem, Level: store.LevelWarning, Title: "Could not plan the scan's changes: " + err.Error(),
		Body:    "Error: " + err.Error() + "\nNothing is staged or applied until a plan can be made; `upkeep plan` shows the same error.\n",
		NewsKey: store.EventProblem + ":plan:" + hex.EncodeToString(sum[:12]), Notify: true}
}

func unreachableEvent(err error, since time.Time) store.Event {
	return store.Event{Kind: store.EventUnreachable, Level: store.LevelWarning,
		Title: "Update checks are failing: " + err.Error(),
		Body: "Error: " + err.Error() + "\nThe schedule retries quietly with growing delays and says when checks work again. " +
			"Check the network, the repository's URL and the ERP database.\n",
		NewsKey: store.EventUnreachable + ":" + since.UTC().Format(time.RFC3339Nano), Notify: true}
}

func reachableEvent(since, now time.Time, tries int) store.Event {
	return store.Event{Kind: store.EventReachable, Level: store.LevelInfo,
		Title: fmt.Sprintf("Update checks work again after %s (%d failed tries)", hoursMinutes(now.Sub(since)), tries),
		Body: fmt.Sprintf("Failing since %s; working again at %s.\n",
			since.Format("Mon 2 Jan 15:04 MST"), now.Format("Mon 2 Jan 15:04 MST")),
		NewsKey: store.EventReachable + ":" + since.UTC().Format(time.RFC3339Nano), Notify: true}
}

// hoursMinutes writes a duration as "8h25m" or "12m".
func hoursMinutes(d time.Duration) string {
	d = d.Round(time.Minute)
	if d < time.Hour {
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%dh%02dm", d/time.Hour, d%time.Hour/time.Minute)
}
