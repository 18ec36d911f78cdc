package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/schedule"
)

func TestScheduleAndNotifyDefaults(t *testing.T) {
	c, err := Parse([]byte(demo), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	spec, err := c.Schedule.Spec()
	if err != nil {
		t.Fatal(err)
	}
	if spec.Every != 6*time.Hour || spec.Jitter != 30*time.Minute || spec.Policy != (schedule.Policy{}) || len(spec.Windows) != 0 {
		t.Errorf("default spec = %+v", spec)
	}
	c, err = Parse([]byte(demo+"[schedule]\nevery = \"20m\"\n"), t.TempDir())
	if err != nil || c.Schedule.Jitter.Duration != 5*time.Minute {
		t.Errorf("jitter for every 20m = %v, %v; want a quarter", c.Schedule.Jitter, err)
	}
}

func TestScheduleAndNotifyParse(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"hook.secret", "smtp.password"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Parse([]byte(demo+`
[schedule]
cron = "0 3 * * *"
jitter = "10m"
windows = ["Sat 02:00-04:00", "Mon-Fri 22:00-23:30"]

[schedule.policy]
patches = "apply"
updates = "stage"
upgrades = "notify"
require_rehearsal = true

[notify]
webhook_url = "https://hooks.example.com/upkeep"
webhook_secret_file = "hook.secret"

[notify.smtp]
host = "mail.example.com"
port = 587
from = "Upkeep <upkeep@erp1.example.com>"
to = ["admin@example.com"]
user = "upkeep"
password_file = "smtp.password"
`), dir)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := c.Schedule.Spec()
	if err != nil {
		t.Fatal(err)
	}
	want := schedule.Policy{Patches: schedule.Apply, Updates: schedule.Stage, Upgrades: schedule.Notify, RequireRehearsal: true}
	if spec.Cron != "0 3 * * *" || spec.Jitter != 10*time.Minute || spec.Policy != want || spec.Windows.String() != "Sat 02:00-04:00; Mon-Fri 22:00-23:30" {
		t.Errorf("spec = %+v", spec)
	}
	if c.Notify.WebhookSecretFile != filepath.Join(dir, "hook.secret") || c.Notify.SMTP.PasswordFile != filepath.Join(dir, "smtp.password") {
		t.Errorf("secret paths not resolved: %+v", c.Notify)
	}
}

func TestBadScheduleOrNotifyNamesTheKey(t *testing.T) {
	for edit, want := range map[string]string{
		"[schedule.policy]\nupdates = \"apply\"":                                        `schedule.policy.updates = "apply": only patches may be applied silently`,
		"[schedule.policy]\nupgrades = \"apply\"":                                       `schedule.policy.upgrades = "apply": only patches may be applied silently`,
		"[schedule.policy]\npatches = \"apply\"":                                        `schedule.policy.patches = "apply" needs a maintenance window`,
		"[schedule.policy]\npatches = \"auto\"":                                         `schedule.policy.patches: "auto": say notify, stage`,
		"[schedule]\nwindows = [\"Sat 02:00-04:00\", \"Sta 1:00-2:00\"]":                `schedule.windows[1]: window "Sta 1:00-2:00": "sta" is not a day`,
		"[schedule]\nevery = \"1h\"\ncron = \"@daily\"":                                 "schedule.every and cron are both set",
		"[schedule]\ncron = \"61 * * * *\"":                                             `schedule.cron "61 * * * *"`,
		"[schedule]\nevery = \"10s\"":                                                   "schedule.every",
		"[schedule]\nevery = \"1h\"\njitter = \"2h\"":                                   "schedule.jitter",
		"[schedule]\nevry = \"1h\"":                                                     "unknown key schedule.evry",
		"[notify]\nwebhook_url = \"ftp://x\"":                                           "notify.webhook_url",
		"[notify]\nwebhook_secret_file = \"s\"":                                         "notify.webhook_url is empty",
		"[notify]\nwebhook_url = \"https://h\"\nwebhook_secret_file = \"missing\"":      "notify.webhook_secret_file",
		"[notify.smtp]\nfrom = \"a@b.c\"":                                               "notify.smtp.host is empty",
		"[notify.smtp]\nhost = \"m\"\nfrom = \"a@b.c\"":                                 "notify.smtp.to is empty",
		"[notify.smtp]\nhost = \"m\"\nfrom = \"nobody\"\nto = [\"a@b.c\"]":              "notify.smtp.from",
		"[notify.smtp]\nhost = \"m\"\nfrom = \"a@b.c\"\nto = [\"x y\"]":                 "notify.smtp.to",
		"[notify.smtp]\nhost = \"m\"\nfrom = \"a@b.c\"\nto = [\"a@b.c\"]\nuser = \"u\"": "user and password_file go together",
		"[notify.smtp]\nhost = \"m\"\nport = 70000\nfrom = \"a@b.c\"\nto = [\"a@b.c\"]": "notify.smtp.port",
	} {
		_, err := Parse([]byte(demo+"\n"+edit+"\n"), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error = %v, want it to say %q", edit, err, want)
		}
	}
}

func TestSchedulePolicySecurity(t *testing.T) {
	c, err := Parse([]byte(demo+"[schedule]\nwindows = [\"Sat 02:00-04:00\"]\n[schedule.policy]\nsecurity = \"apply\"\n"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	spec, err := c.Schedule.Spec()
	if err != nil || spec.Policy.Security != schedule.Apply || spec.Policy.Patches != schedule.Notify {
		t.Fatalf("spec %+v, %v", spec.Policy, err)
	}
	for body, want := range map[string]string{
		"[schedule.policy]\nsecurity = \"apply\"\n":  `policy.security = "apply" needs a maintenance window`,
		"[schedule.policy]\nsecurity = \"always\"\n": `schedule.policy.security: "always": say notify`,
	} {
		if _, err := Parse([]byte(demo+body), t.TempDir()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
}
