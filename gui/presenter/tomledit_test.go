package presenter_test

import (
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/gui/presenter"
	"github.com/upkeep-erp/upkeep/gui/presenter/presentertest"
)

const commented = `# the agent's configuration
[erp]
kind = "demo"   # the demo ERP

[schedule]
every = "6h"            # how often
windows = [
  "Sat 02:00-04:00",    # weekends
  "Mon-Fri 22:00-23:30",
]

[[erp.health]]
name = "x"
every = "not the schedule's"

[schedule.policy]
patches = "apply"
`

func TestEditTOMLKeepsEverythingElse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edits []presenter.Edit
		want  string // the whole result
	}{
		{"replace a value, keeping the comment lines", []presenter.Edit{{Key: "schedule.every", Value: "2h"}},
			strings.Replace(commented, `every = "6h"            # how often`, `every = "2h"`, 1)},
		{"replace a value over several lines", []presenter.Edit{{Key: "schedule.windows", Value: []string{"Sun 01:00-03:00"}}},
			strings.Replace(commented, "windows = [\n  \"Sat 02:00-04:00\",    # weekends\n  \"Mon-Fri 22:00-23:30\",\n]", `windows = ["Sun 01:00-03:00"]`, 1)},
		{"add to a table", []presenter.Edit{{Key: "schedule.policy.require_rehearsal", Value: true}},
			strings.Replace(commented, "patches = \"apply\"\n", "patches = \"apply\"\nrequire_rehearsal = true\n", 1)},
		{"add a table", []presenter.Edit{{Key: "notify.webhook_url", Value: "https://h.example/u"}},
			commented + "\n[notify]\nwebhook_url = \"https://h.example/u\"\n"},
		{"remove a key", []presenter.Edit{{Key: "schedule.policy.patches", Value: nil}},
			strings.Replace(commented, "patches = \"apply\"\n", "", 1)},
		{"remove a key that is not there", []presenter.Edit{{Key: "schedule.cron", Value: nil}}, commented},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := presenter.EditTOML(commented, tc.edits...)
			if err != nil || got != tc.want {
				t.Errorf("EditTOML = %v\n%s\nwant\n%s", err, got, tc.want)
			}
		})
	}
}

func TestEditTOMLRefusesWhatItCannotChange(t *testing.T) {
	dotted := "[schedule]\npolicy.patches = \"apply\"\n"
	if _, err := presenter.EditTOML(dotted, presenter.Edit{Key: "schedule.policy.patches", Value: "notify"}); err == nil ||
		!strings.Contains(err.Error(), "in the file below") {
		t.Errorf("a dotted key: %v", err)
	}
}

func TestCommonSettingsSave(t *testing.T) {
	c, err := presenter.CommonOf(presentertest.DemoSettings)
	if err != nil {
		t.Fatal(err)
	}
	if c.Every != "6h" || strings.Join(c.Windows, ",") != "Sat 02:00-04:00" || c.Patches != "apply" || c.Updates != "notify" || !c.RequireRehearsal {
		t.Fatalf("common %+v", c)
	}
	if got, err := c.Save(presentertest.DemoSettings); err != nil || got != presentertest.DemoSettings {
		t.Errorf("saving unchanged settings changed the file: %v\n%s", err, got)
	}
	c.Windows, c.Updates, c.RequireRehearsal, c.WebhookURL = []string{"Sun 01:00-02:00", "Wed 23:00-01:00"}, "stage", false, "https://h.example/u"
	got, err := c.Save(presentertest.DemoSettings)
	if err != nil {
		t.Fatal(err)
	}
	back, err := presenter.CommonOf(got)
	if err != nil || strings.Join(back.Windows, ",") != "Sun 01:00-02:00,Wed 23:00-01:00" || back.Updates != "stage" || back.RequireRehearsal ||
		back.WebhookURL != "https://h.example/u" || back.Every != "6h" || !strings.Contains(got, "admin_group = \"upkeep-admin\"") {
		t.Errorf("saved %+v (%v):\n%s", back, err, got)
	}
	if presenter.SplitList(" a, ,b ,") == nil || strings.Join(presenter.SplitList(" a, ,b ,"), "|") != "a|b" {
		t.Errorf("SplitList = %q", presenter.SplitList(" a, ,b ,"))
	}
}

func FuzzEditTOML(f *testing.F) {
	f.Add(commented, "schedule.every", "1h")
	f.Add("", "notify.webhook_url", "x")
	f.Add("[a]\nb = [\n\"]\", # ]\n]\n", "a.b", "c")
	f.Fuzz(func(t *testing.T, text, key, value string) {
		out, err := presenter.EditTOML(text, presenter.Edit{Key: key, Value: value})
		if err != nil {
			return
		}
		c, err := presenter.EditTOML(out, presenter.Edit{Key: key, Value: value})
		if err != nil || c != out {
			t.Errorf("setting %s again changed the file or failed: %v", key, err)
		}
	})
}

func TestStatusLineCountsDown(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	s := presenter.Snapshot{Conn: presenter.Offline, RetryIn: 30 * time.Second, RetryAt: at.Add(30 * time.Second)}
	for _, tc := range []struct {
		after time.Duration
		want  string
	}{{0, "retrying in 30s"}, {12 * time.Second, "retrying in 18s"}, {30 * time.Second, "reconnecting…"}, {time.Minute, "reconnecting…"}} {
		if got := s.StatusLineAt(at.Add(tc.after)); got != "Agent unreachable: "+tc.want {
			t.Errorf("after %v: %q", tc.after, got)
		}
	}
	if m := s.Menu(); !strings.HasPrefix(m[0].Label, "Agent unreachable: next try at ") || m[1].Label != "Retry now" {
		t.Errorf("menu %+v", m)
	}
}
