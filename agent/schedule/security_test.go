package schedule_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/schedule"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/catalog"
)

var holeUPK31 = catalog.Advisory{ID: "UPK-2026-0031", Severity: catalog.SeverityHigh, Title: "Payment proposals bypass the approver's amount limit",
	Affects: catalog.MustParseConstraint("<1.4.0")}

// securityWeek runs a week (Mon 1 June 2026, Paris) in which arp 1.4.0, an
// update fixing UPK-2026-0031, is published on Tuesday at noon, beside an
// update of mail that fixes nothing; windows on Saturday and Sunday nights.
func securityWeek(t *testing.T, pol schedule.Policy) (*sim, schedule.Spec, time.Time) {
	t.Helper()
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, paris(t))
	spec := schedule.Spec{Every: 6 * time.Hour, Jitter: 20 * time.Minute, Windows: mustWindows(t, "Sat 02:00-04:00", "Sun 02:00-04:00"), Policy: pol}
	if err := spec.Validate(); err != nil {
		t.Fatal(err)
	}
	s := newSim(t, start, spec, map[string]string{"arp": "1.3.0", "core": "2.50.21", "mail": "2.0.0"})
	s.world.narrow = &spec.Policy
	published := start.Add(36 * time.Hour)
	s.world.publish(published, "arp", "1.4.0", catalog.KindUpdate, holeUPK31)
	s.world.publish(published, "mail", "2.1.0", catalog.KindUpdate)
	s.runUntil(start.Add(7 * 24 * time.Hour))
	return s, spec, published
}

// With security = "apply" and a rehearsal required, the security update is
// rehearsed and applied once, alone, inside Saturday's window; the other
// update waits for a person; the fix is sent at once, marked urgent.
func TestRunSecurityApplySimulatedWeek(t *testing.T) {
	s, spec, published := securityWeek(t, schedule.Policy{Patches: schedule.Apply, Updates: schedule.Stage, Security: schedule.Apply, RequireRehearsal: true})
	w := s.world
	if len(w.applies) != 1 {
		t.Fatalf("%d applies, want 1", len(w.applies))
	}
	a := w.applies[0]
	if !spec.Windows.Contains(a.at) || a.at.Weekday() != time.Saturday || kinds(a.plan) != "arp@1.4.0(update)" {
		t.Errorf("applied %s at %s, want arp@1.4.0(update) in Saturday's window", kinds(a.plan), a.at)
	}
	if len(w.rehearsals) != 1 || w.rehearsals[0] != a.plan.Hash {
		t.Errorf("rehearsals %v, want the applied plan once, before it", w.rehearsals)
	}
	if w.installed["arp"].String() != "1.4.0" || w.installed["mail"].String() != "2.0.0" {
		t.Errorf("installed = %v", w.installed)
	}
	ev := s.eventsByKind()
	if len(ev[store.EventSecurity]) != 1 || len(ev[store.EventApplied]) != 1 {
		t.Fatalf("events = %v", ev)
	}
	checkSentAtOnce(t, s, published)
}

// With security = "notify" (the default) nothing is applied: the fix is
// sent at once, marked urgent, and the update is staged like any update.
func TestRunSecurityNotifySimulatedWeek(t *testing.T) {
	s, _, published := securityWeek(t, schedule.Policy{Patches: schedule.Apply, Updates: schedule.Stage, RequireRehearsal: true})
	if len(s.world.applies) != 0 || len(s.world.rehearsals) != 0 {
		t.Fatalf("applies %d, rehearsals %d; want none", len(s.world.applies), len(s.world.rehearsals))
	}
	checkSentAtOnce(t, s, published)
}

// A failed rehearsal of the security fix stops it: never applied, said once.
func TestRunSecurityApplyNeedsAPassedRehearsal(t *testing.T) {
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, paris(t))
	spec := schedule.Spec{Every: 6 * time.Hour, Jitter: 20 * time.Minute, Windows: mustWindows(t, "Sat 02:00-04:00", "Sun 02:00-04:00"),
		Policy: schedule.Policy{Security: schedule.Apply, RequireRehearsal: true}}
	s := newSim(t, start, spec, map[string]string{"arp": "1.3.0"})
	s.world.publish(start, "arp", "1.4.0", catalog.KindUpdate, holeUPK31)
	s.world.rehearsalFails = true
	s.runUntil(start.Add(7 * 24 * time.Hour))
	if len(s.world.applies) != 0 || len(s.world.rehearsals) != 1 {
		t.Fatalf("applies %d, rehearsals %d; want none applied after one failed rehearsal", len(s.world.applies), len(s.world.rehearsals))
	}
	if ev := s.eventsByKind(); len(ev[store.EventRehearsalFailed]) != 1 {
		t.Fatalf("events = %v", ev)
	}
}

// checkSentAtOnce: the security event was recorded at the first scan after
// publication (not at a window) and the webhook got it once, marked urgent.
func checkSentAtOnce(t *testing.T, s *sim, published time.Time) {
	t.Helper()
	all, err := s.events.Latest(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var sec *store.Event
	for i := range all {
		if all[i].Kind == store.EventSecurity {
			sec = &all[i]
		}
	}
	if sec == nil {
		t.Fatal("no security event")
	}
	at, _ := time.Parse(time.RFC3339Nano, sec.At)
	if at.Before(published) || at.Sub(published) > 6*time.Hour+20*time.Minute {
		t.Errorf("security event at %s, want at the first scan after %s", at, published)
	}
	if !strings.Contains(sec.Title, "URGENT security fix (high): arp 1.4.0") || !strings.Contains(sec.Body, "UPK-2026-0031") {
		t.Errorf("security event %q\n%s", sec.Title, sec.Body)
	}
	got, _ := s.hook.counts()
	if got[sec.NewsKey] != 1 || !strings.Contains(strings.Join(s.hook.urgent, " "), sec.NewsKey) {
		t.Errorf("webhook got the security event %d times, urgent keys %v", got[sec.NewsKey], s.hook.urgent)
	}
}
