// Package notify sends the agent's events to an admin: a signed JSON POST to a webhook and a plain-text report by e-mail over SMTP.
package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// Notifier sends events to every configured channel.
type Notifier struct {
	Host    string // this host's name, shown in every message
	Webhook *Webhook
	Mail    *Mail
}

// Send sends the events to the webhook and by e-mail; it returns every
// channel's error. A nil Notifier sends nothing.
func (n *Notifier) Send(ctx context.Context, events []store.Event) error {
	if n == nil || len(events) == 0 {
		return nil
	}
	var errs []error
	if n.Webhook != nil {
		errs = append(errs, n.Webhook.Send(ctx, n.Host, events))
	}
	if n.Mail != nil {
		errs = append(errs, n.Mail.Send(ctx, n.Host, events))
	}
	return errors.Join(errs...)
}

// FromConfig builds the notifier the configuration asks for, reading the
// secret and password files; it returns nil when neither a webhook nor
// SMTP is configured.
func FromConfig(c config.Notify, host string) (*Notifier, error) {
	n := &Notifier{Host: host}
	if c.WebhookURL != "" {
		n.Webhook = &Webhook{URL: c.WebhookURL}
		if c.WebhookSecretFile != "" {
			s, err := readSecret(c.WebhookSecretFile, "notify.webhook_secret_file")
			if err != nil {
				return nil, err
			}
			n.Webhook.Secret = []byte(s)
		}
	}
	if s := c.SMTP; s.Host != "" {
		n.Mail = &Mail{Host: s.Host, Port: s.Port, From: s.From, To: s.To, User: s.User}
		if s.PasswordFile != "" {
			p, err := readSecret(s.PasswordFile, "notify.smtp.password_file")
			if err != nil {
				return nil, err
			}
			n.Mail.Password = p
		}
	}
	if n.Webhook == nil && n.Mail == nil {
		return nil, nil
	}
	return n, nil
}

// readSecret reads a one-line secret file.
func readSecret(path, key string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w; create the file (mode 0600) or remove the key", key, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s: %s is empty: write the secret in it", key, path)
	}
	return s, nil
}
