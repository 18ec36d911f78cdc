package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/store"
)

func TestSecurityEventsAreMarkedUrgent(t *testing.T) {
	blocked := store.Event{Kind: store.EventBlocked, Level: store.LevelWarning, Title: "Cannot be applied as things stand: mail 2.1.0"}
	sec := store.Event{Kind: store.EventSecurity, Level: store.LevelWarning, Title: "URGENT security fix (high): arp 1.4.0 — Payment proposals bypass the limit"}
	info := store.Event{Kind: store.EventUpdates, Level: store.LevelInfo, Title: "Update available: arp 1.4.0"}
	if Urgent([]store.Event{blocked, info}) || !Urgent([]store.Event{info, sec}) {
		t.Fatal("Urgent is wrong")
	}
	if got := Subject("erp1", []store.Event{blocked, info, sec}); got != "[upkeep erp1] URGENT security fix (high): arp 1.4.0 — Payment proposals bypass the limit (and 2 more)" {
		t.Errorf("subject %q: want the security event's title first", got)
	}
	m := &Mail{From: "upkeep@example.com", To: []string{"admin@example.com"}, Now: func() time.Time { return time.Unix(0, 0) }}
	msg, err := m.message("erp1", []store.Event{info, sec})
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(msg), "\r\n\r\n")
	for _, want := range []string{"Importance: high\r\n", "X-Priority: 1 (Highest)"} {
		if !strings.Contains(head, want) {
			t.Errorf("headers lack %q:\n%s", want, head)
		}
	}
	plain, _ := m.message("erp1", []store.Event{info})
	if strings.Contains(string(plain), "Importance:") {
		t.Error("a mail without security news is marked important")
	}
}
