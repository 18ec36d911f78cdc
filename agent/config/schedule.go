package config

import (
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/schedule"
)

func (s *Schedule) defaults() {
	if s.Every.Duration == 0 && strings.TrimSpace(s.Cron) == "" {
		s.Every.Duration = schedule.DefaultEvery
	}
	if s.Jitter.Duration == 0 {
		if period, err := (schedule.Spec{Every: s.Every.Duration, Cron: s.Cron}).Period(); err == nil {
			s.Jitter.Duration = schedule.JitterFor(period)
		}
	}
	for _, p := range []*string{&s.Policy.Patches, &s.Policy.Updates, &s.Policy.Upgrades, &s.Policy.Security} {
		if *p == "" {
			*p = schedule.Notify.String()
		}
	}
}

func (s Schedule) validate() error {
	_, err := s.Spec()
	return err
}

// Spec returns the schedule as agent/schedule takes it; the error names the
// key and the fix (a policy applying updates or upgrades is refused).
func (s Schedule) Spec() (schedule.Spec, error) {
	spec := schedule.Spec{Every: s.Every.Duration, Cron: strings.TrimSpace(s.Cron), Jitter: s.Jitter.Duration}
	var err error
	if spec.Windows, err = schedule.ParseWindows(s.Windows); err != nil {
		return spec, fmt.Errorf("schedule.windows%w", err)
	}
	for _, p := range []struct {
		key string
		in  string
		out *schedule.Action
	}{{"patches", s.Policy.Patches, &spec.Policy.Patches}, {"updates", s.Policy.Updates, &spec.Policy.Updates},
		{"upgrades", s.Policy.Upgrades, &spec.Policy.Upgrades}, {"security", s.Policy.Security, &spec.Policy.Security}} {
		if *p.out, err = schedule.ParseAction(p.in); err != nil {
			return spec, fmt.Errorf("schedule.policy.%s: %w", p.key, err)
		}
	}
	spec.Policy.RequireRehearsal = s.Policy.RequireRehearsal
	if err := spec.Validate(); err != nil {
		return spec, fmt.Errorf("schedule.%w", err)
	}
	return spec, nil
}

func (n Notify) validate() error {
	if n.WebhookURL != "" {
		u, err := url.Parse(n.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("notify.webhook_url = %q: give the receiver's http(s):// URL", n.WebhookURL)
		}
	} else if n.WebhookSecretFile != "" {
		return errors.New("notify.webhook_secret_file is set but notify.webhook_url is empty: give the URL, or remove the secret")
	}
	if err := fileExists("notify.webhook_secret_file", n.WebhookSecretFile); err != nil {
		return err
	}
	return n.SMTP.validate()
}

func (s SMTP) validate() error {
	if s.Host == "" {
		if s.From != "" || len(s.To) > 0 || s.User != "" || s.PasswordFile != "" || s.Port != 0 {
			return errors.New("notify.smtp.host is empty: give the mail server's name, or remove the [notify.smtp] section")
		}
		return nil
	}
	switch {
	case s.Port < 0 || s.Port > 65535:
		return fmt.Errorf("notify.smtp.port = %d: give a TCP port such as 25 or 587", s.Port)
	case len(s.To) == 0:
		return errors.New("notify.smtp.to is empty: give the admins' addresses, e.g. to = [\"admin@example.com\"]")
	case (s.User == "") != (s.PasswordFile == ""):
		return errors.New("notify.smtp.user and password_file go together: give both to authenticate, or neither")
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		return fmt.Errorf("notify.smtp.from = %q: %v; give an address such as \"upkeep@erp.example.com\"", s.From, err)
	}
	for _, to := range s.To {
		if _, err := mail.ParseAddress(to); err != nil {
			return fmt.Errorf("notify.smtp.to: %q: %v; give addresses such as \"admin@example.com\"", to, err)
		}
	}
	return fileExists("notify.smtp.password_file", s.PasswordFile)
}

func fileExists(key, path string) error {
	if path == "" {
		return nil
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%s: %w; create the file (mode 0600) holding the secret, or remove the key", key, err)
	}
	return nil
}
