package presenter

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// settingsFile is the part of the agent's configuration the Settings
// screen summarises (agent/config documents every key).
type settingsFile struct {
	Repository struct {
		URL           string   `toml:"url"`
		Subscriptions []string `toml:"subscriptions"`
		Private       []struct {
			Name string `toml:"name"`
			URL  string `toml:"url"`
		} `toml:"private"`
	} `toml:"repository"`
	Policy struct {
		MinMaturityInstall string            `toml:"min_maturity_install"`
		MinMaturityUpdate  string            `toml:"min_maturity_update"`
		Maturity           map[string]string `toml:"maturity"`
	} `toml:"policy"`
	API struct {
		AdminGroup string `toml:"admin_group"`
	} `toml:"api"`
	Notify struct {
		WebhookURL string `toml:"webhook_url"`
		SMTP       struct {
			Host string   `toml:"host"`
			To   []string `toml:"to"`
		} `toml:"smtp"`
	} `toml:"notify"`
	Schedule struct {
		Every   string   `toml:"every"`
		Cron    string   `toml:"cron"`
		Jitter  string   `toml:"jitter"`
		Windows []string `toml:"windows"`
		Policy  struct {
			Patches          string `toml:"patches"`
			Updates          string `toml:"updates"`
			Upgrades         string `toml:"upgrades"`
			RequireRehearsal bool   `toml:"require_rehearsal"`
		} `toml:"policy"`
	} `toml:"schedule"`
}

// Setting is one line of the Settings screen's summary.
type Setting struct {
	Name, Value string
	Key         string // where it lives in the configuration file
}

// SettingsSummary reads the configuration file's text into the lines the
// Settings screen shows, with the defaults the agent uses spelled out.
func SettingsSummary(text string) ([]Setting, error) {
	var f settingsFile
	if _, err := toml.Decode(text, &f); err != nil {
		return nil, fmt.Errorf("read the agent's configuration: %w (fix it in the editor below)", err)
	}
	s, p := f.Schedule, f.Schedule.Policy
	return []Setting{
		{"Schedule", scheduleText(s.Every, s.Cron, s.Jitter), "schedule.every, schedule.cron, schedule.jitter"},
		{"Maintenance windows", listOr(s.Windows, "none (nothing is applied on its own)"), "schedule.windows"},
		{"Silent patch policy", policyText(p.Patches, p.Updates, p.Upgrades), "schedule.policy"},
		{"Rehearsal before silent apply", yesNo(p.RequireRehearsal, "required: the same plan must pass a rehearsal", "not required"), "schedule.policy.require_rehearsal"},
		{"Subscribed repositories", subscriptions(f), "repository.subscriptions, repository.private"},
		{"Maturity minimums", maturities(f), "policy.min_maturity_install, policy.min_maturity_update, policy.maturity"},
	}, nil
}

// Common are the settings the Settings screen edits with form controls;
// the rest is edited in the file.
type Common struct {
	Every            string   // schedule.every ("" for the default)
	Cron             string   // schedule.cron: when set, Every is not used (edited in the file)
	Windows          []string // schedule.windows
	Patches          string   // schedule.policy.*: notify, stage or apply (patches only)
	Updates          string
	Upgrades         string
	RequireRehearsal bool     // schedule.policy.require_rehearsal
	WebhookURL       string   // notify.webhook_url
	MailTo           []string // notify.smtp.to
	MailHost         string   // notify.smtp.host: e-mail needs it (edited in the file)
}

// The choices of the silent policy, per kind.
var (
	PatchChoices = []string{"notify", "stage", "apply"}
	OtherChoices = []string{"notify", "stage"}
)

// CommonOf reads the common settings from the configuration's text, with
// the agent's defaults filled in.
func CommonOf(text string) (Common, error) {
	var f settingsFile
	if _, err := toml.Decode(text, &f); err != nil {
		return Common{}, fmt.Errorf("read the agent's configuration: %w (fix it in the editor below)", err)
	}
	s, p := f.Schedule, f.Schedule.Policy
	or := func(v string) string {
		if v == "" {
			return "notify"
		}
		return v
	}
	return Common{Every: s.Every, Cron: s.Cron, Windows: s.Windows, Patches: or(p.Patches), Updates: or(p.Updates), Upgrades: or(p.Upgrades),
		RequireRehearsal: p.RequireRehearsal, WebhookURL: f.Notify.WebhookURL, MailTo: f.Notify.SMTP.To, MailHost: f.Notify.SMTP.Host}, nil
}

// Save writes c into the configuration's text (EditTOML), changing only
// what differs from before; empty values remove their keys (the agent's
// defaults apply).
func (c Common) Save(text string) (string, error) {
	before, err := CommonOf(text)
	if err != nil {
		return "", err
	}
	var edits []Edit
	str := func(key, was, now string) {
		if was != now {
			edits = append(edits, Edit{Key: key, Value: orNil(now)})
		}
	}
	list := func(key string, was, now []string) {
		if !slices.Equal(was, now) {
			var v any = now
			if len(now) == 0 {
				v = nil
			}
			edits = append(edits, Edit{Key: key, Value: v})
		}
	}
	str("schedule.every", before.Every, c.Every)
	list("schedule.windows", before.Windows, c.Windows)
	str("schedule.policy.patches", before.Patches, c.Patches)
	str("schedule.policy.updates", before.Updates, c.Updates)
	str("schedule.policy.upgrades", before.Upgrades, c.Upgrades)
	if before.RequireRehearsal != c.RequireRehearsal {
		edits = append(edits, Edit{Key: "schedule.policy.require_rehearsal", Value: c.RequireRehearsal})
	}
	str("notify.webhook_url", before.WebhookURL, c.WebhookURL)
	list("notify.smtp.to", before.MailTo, c.MailTo)
	if len(edits) == 0 {
		return text, nil
	}
	return EditTOML(text, edits...)
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// SplitList reads a comma-separated field into its items.
func SplitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// AdminGroup is the configuration's api.admin_group ("" when unset or the
// text does not parse).
func AdminGroup(text string) string {
	var f settingsFile
	if _, err := toml.Decode(text, &f); err != nil {
		return ""
	}
	return f.API.AdminGroup
}

// ReadOnlyTip says how a read-only caller gets the right to act.
func ReadOnlyTip(group string) string {
	if group == "" {
		return "Read-only: only root may act on this agent. Ask an admin to set api.admin_group in the agent's configuration and add you to that group."
	}
	return fmt.Sprintf("Read-only: ask an admin to add you to group %s (then log in again).", group)
}

func scheduleText(every, cron, jitter string) string {
	var what string
	switch {
	case cron != "":
		what = "scan on cron “" + cron + "”"
	case every != "":
		what = "scan every " + every
	default:
		what = "scan every 6h (default)"
	}
	if jitter != "" {
		what += ", jitter " + jitter
	}
	return what
}

func policyText(patches, updates, upgrades string) string {
	or := func(s string) string {
		if s == "" {
			return "notify"
		}
		return s
	}
	return fmt.Sprintf("patches: %s · updates: %s · upgrades: %s", or(patches), or(updates), or(upgrades))
}

func subscriptions(f settingsFile) string {
	subs := listOr(f.Repository.Subscriptions, "the installed core's series and newer (default)")
	subs += " at " + f.Repository.URL
	for _, p := range f.Repository.Private {
		subs += "; private " + p.Name + " at " + p.URL
	}
	return subs
}

func maturities(f settingsFile) string {
	or := func(s, def string) string {
		if s == "" {
			return def + " (default)"
		}
		return s
	}
	text := "install: " + or(f.Policy.MinMaturityInstall, "confirmed-stable") + " · update: " + or(f.Policy.MinMaturityUpdate, "confirmed-stable")
	var per []string
	for m, v := range f.Policy.Maturity {
		per = append(per, m+" ≥ "+v)
	}
	sort.Strings(per)
	if len(per) > 0 {
		text += " · " + strings.Join(per, ", ")
	}
	return text
}

func listOr(list []string, none string) string {
	if len(list) == 0 {
		return none
	}
	return strings.Join(slices.Clone(list), ", ")
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}
