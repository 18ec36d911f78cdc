package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/store"
)

// Mail sends events as one plain-text e-mail over SMTP, with STARTTLS when
// the server offers it. Authentication (PLAIN) is refused over an
// unencrypted connection except to localhost.
type Mail struct {
	Host     string
	Port     int // default 25
	From     string
	To       []string
	User     string // empty: no authentication
	Password string
	Timeout  time.Duration // the whole conversation; default DefaultTimeout
	TLS      *tls.Config   // for STARTTLS; default: verify the server's certificate for Host
	Location *time.Location
	Now      func() time.Time
}

// Send mails the events as one report.
func (m *Mail) Send(ctx context.Context, host string, events []store.Event) error {
	if len(events) == 0 {
		return nil
	}
	msg, err := m.message(host, events)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, orDefault(m.Timeout, DefaultTimeout))
	defer cancel()
	if err := m.deliver(ctx, host, msg); err != nil {
		return fmt.Errorf("mail to %s via %s: %w", strings.Join(m.To, ", "), m.addr(), err)
	}
	return nil
}

func (m *Mail) addr() string {
	port := m.Port
	if port == 0 {
		port = 25
	}
	return net.JoinHostPort(m.Host, strconv.Itoa(port))
}

// deliver speaks SMTP: EHLO, STARTTLS when offered, AUTH, MAIL, RCPT, DATA, QUIT.
func (m *Mail) deliver(ctx context.Context, helo string, msg []byte) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.addr())
	if err != nil {
		return fmt.Errorf("connect: %w; check notify.smtp.host and port", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	c, err := smtp.NewClient(conn, m.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(helloName(helo)); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(m.tlsConfig()); err != nil {
			return fmt.Errorf("STARTTLS: %w; the server's certificate must be valid for %s", err, m.Host)
		}
	}
	if m.User != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("the server offers no authentication: remove notify.smtp.user, or use the submission port (587)")
		}
		if err := c.Auth(smtp.PlainAuth("", m.User, m.Password, m.Host)); err != nil {
			return fmt.Errorf("AUTH: %w; check notify.smtp.user and password_file (a server without STARTTLS gets no password)", err)
		}
	}
	return m.transfer(c, msg)
}

func (m *Mail) transfer(c *smtp.Client, msg []byte) error {
	if err := c.Mail(envelope(m.From)); err != nil {
		return fmt.Errorf("MAIL FROM %s: %w; check notify.smtp.from", m.From, err)
	}
	for _, to := range m.To {
		if err := c.Rcpt(envelope(to)); err != nil {
			return fmt.Errorf("RCPT TO %s: %w; check notify.smtp.to", to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("send message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end message: %w", err)
	}
	return c.Quit()
}

func (m *Mail) tlsConfig() *tls.Config {
	if m.TLS != nil {
		return m.TLS
	}
	return &tls.Config{ServerName: m.Host, MinVersion: tls.VersionTLS12}
}

// envelope returns the bare address of "Name <addr>" for the SMTP envelope.
func envelope(addr string) string {
	if a, err := mail.ParseAddress(addr); err == nil {
		return a.Address
	}
	return addr
}

// headerAddr writes an address for a header (names RFC 2047-encoded).
func headerAddr(addr string) string {
	if a, err := mail.ParseAddress(addr); err == nil {
		return a.String()
	}
	return store.OneLine(addr, 200)
}

func helloName(host string) string {
	if host == "" || strings.ContainsAny(host, " \r\n") {
		return "localhost"
	}
	return host
}

// message builds the e-mail: headers and a quoted-printable UTF-8 body.
func (m *Mail) message(host string, events []store.Event) ([]byte, error) {
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	var id [12]byte
	rand.Read(id[:])
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	to := make([]string, len(m.To))
	for i, a := range m.To {
		to[i] = headerAddr(a)
	}
	header("From", headerAddr(m.From))
	header("To", strings.Join(to, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", Subject(host, events)))
	header("Date", now().Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id[:])+"@"+helloName(host)+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	if Urgent(events) {
		header("Importance", "high")
		header("X-Priority", "1 (Highest)")
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(Report(host, events, m.Location), "\n", "\r\n"))); err != nil {
		return nil, fmt.Errorf("encode message: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("encode message: %w", err)
	}
	return b.Bytes(), nil
}
