package notify

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/config"
)

func TestFromConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if n, err := FromConfig(config.Notify{}, "erp1"); n != nil || err != nil {
		t.Fatalf("nothing configured: %+v, %v", n, err)
	}
	c := config.Notify{WebhookURL: "https://hooks.example.com/upkeep", WebhookSecretFile: write("secret", "s3cret\n"),
		SMTP: config.SMTP{Host: "mail.example.com", Port: 587, From: "upkeep@erp1.example", To: []string{"admin@example.com"},
			User: "upkeep", PasswordFile: write("password", " pw \n")}}
	n, err := FromConfig(c, "erp1")
	if err != nil || n.Host != "erp1" || string(n.Webhook.Secret) != "s3cret" || n.Mail.Password != "pw" || n.Mail.Port != 587 {
		t.Fatalf("FromConfig = %+v, %v", n, err)
	}
	c.SMTP.PasswordFile = write("empty", "\n")
	if _, err := FromConfig(c, "erp1"); err == nil || !strings.Contains(err.Error(), "notify.smtp.password_file") {
		t.Fatalf("empty password file: %v", err)
	}
	c.WebhookSecretFile = filepath.Join(dir, "missing")
	if _, err := FromConfig(c, "erp1"); err == nil || !strings.Contains(err.Error(), "notify.webhook_secret_file") {
		t.Fatalf("missing secret file: %v", err)
	}
}

// Every channel is tried; the error names the one that failed.
func TestNotifierSendsToEveryChannel(t *testing.T) {
	ctx := t.Context()
	hook, _ := hookServer(t, http.StatusBadGateway)
	srv := startSMTP(t, "127.0.0.1:0", &smtpServer{})
	host, port := srv.hostPort()
	n := &Notifier{Host: "erp1", Webhook: &Webhook{URL: hook.URL},
		Mail: &Mail{Host: host, Port: port, From: "upkeep@erp1.example", To: []string{"admin@example.com"}}}
	err := n.Send(ctx, sample)
	if err == nil || !strings.Contains(err.Error(), "HTTP 502") {
		t.Fatalf("error = %v, want the webhook's", err)
	}
	if len(srv.messages()) != 1 {
		t.Fatal("the mail was not sent because the webhook failed")
	}
	var none *Notifier
	if err := none.Send(ctx, sample); err != nil {
		t.Fatal(err)
	}
}
