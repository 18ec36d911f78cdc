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
