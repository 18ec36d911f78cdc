package notify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpServer is a small SMTP server on loopback that speaks enough of the
// protocol for net/smtp: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, QUIT.
type smtpServer struct {
	ln         net.Listener
	tls        *tls.Config // nil: no STARTTLS offered
	user, pass string      // empty: no AUTH offered
	rejectRcpt string
	mu         sync.Mutex
	got        []received
}

type received struct {
	from   string
	to     []string
	data   string
	tls    bool
	authed bool
}

func startSMTP(t *testing.T, addr string, s *smtpServer) *smtpServer {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("listen on %s: %v", addr, err)
	}
	s.ln = ln
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) hostPort() (string, int) {
	a := s.ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

func (s *smtpServer) serve(conn net.Conn) {
	defer conn.Close()
	tp := textproto.NewConn(conn)
	tp.PrintfLine("220 test ESMTP")
	var m received
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			tp.PrintfLine("250-test greets %s", arg)
			if s.tls != nil && !m.tls {
				tp.PrintfLine("250-STARTTLS")
			}
			if s.user != "" {
				tp.PrintfLine("250-AUTH PLAIN")
			}
			tp.PrintfLine("250 8BITMIME")
		case "STARTTLS":
			tp.PrintfLine("220 go ahead")
			tc := tls.Server(conn, s.tls)
			if tc.Handshake() != nil {
				return
			}
			conn, tp, m.tls = tc, textproto.NewConn(tc), true
		case "AUTH":
			creds, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(arg, "PLAIN "))
			if string(creds) != "\x00"+s.user+"\x00"+s.pass {
				tp.PrintfLine("535 5.7.8 authentication failed")
				continue
			}
			m.authed = true
			tp.PrintfLine("235 2.7.0 authenticated")
		case "MAIL":
			if s.user != "" && !m.authed {
				tp.PrintfLine("530 5.7.0 authentication required")
				continue
			}
			m.from = arg
			tp.PrintfLine("250 ok")
		case "RCPT":
			if s.rejectRcpt != "" && strings.Contains(arg, s.rejectRcpt) {
				tp.PrintfLine("550 5.1.1 no such user")
				continue
			}
			m.to = append(m.to, arg)
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go on")
			b, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			m.data = string(b)
			s.mu.Lock()
			s.got = append(s.got, m)
			s.mu.Unlock()
			tp.PrintfLine("250 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 5.5.1 unknown command")
		}
	}
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// selfSigned returns a server config for a certificate valid for 127.0.0.1,
// and a client config that trusts it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

func TestMailOverSTARTTLSWithAuth(t *testing.T) {
	ctx := t.Context()
	serverTLS, clientTLS := selfSigned(t)
	srv := startSMTP(t, "127.0.0.1:0", &smtpServer{tls: serverTLS, user: "upkeep", pass: "pw"})
	host, port := srv.hostPort()
	loc, _ := time.LoadLocation("Europe/Paris")
	m := &Mail{Host: host, Port: port, From: "Upkeep agent <upkeep@erp1.example>", To: []string{"admin@example.com", "ops@example.com"},
		User: "upkeep", Password: "pw", TLS: clientTLS, Location: loc}
	if err := m.Send(ctx, "erp1", sample); err != nil {
		t.Fatal(err)
	}
	got := srv.messages()
	if len(got) != 1 || !got[0].tls || !got[0].authed || !strings.HasPrefix(got[0].from, "FROM:<upkeep@erp1.example>") ||
		strings.Join(got[0].to, " ") != "TO:<admin@example.com> TO:<ops@example.com>" {
		t.Fatalf("received %+v", got)
	}
	msg, err := mail.ReadMessage(strings.NewReader(got[0].data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if subject != "[upkeep erp1] Update checks are failing: dial tcp 192.0.2.7:443: connection refused (and 1 more)" ||
		msg.Header.Get("To") != "<admin@example.com>, <ops@example.com>" || msg.Header.Get("Auto-Submitted") != "auto-generated" {
		t.Fatalf("subject %q, headers %v", subject, msg.Header)
	}
	want := `Upkeep on erp1: 2 events

1. [WARNING] Update checks are failing: dial tcp 192.0.2.7:443: connection refused
   Wed 25 Mar 2026 12:03 CET, unreachable, event 8

   Error: dial tcp 192.0.2.7:443: connection refused
   The schedule retries quietly.

2. New patch: arp 1.4.0.1
   Tue 24 Mar 2026 12:14 CET, patches, event 7

     arp 1.4.0 → 1.4.0.1 (patch, confirmed-stable, repository 2.50): Fix rounding

-- 
Sent by the Upkeep agent. ` + "`upkeep status`" + ` lists every event.
` // the test server's DATA reader turns CRLF into LF
	if string(body) != want {
		t.Fatalf("body:\n%s\nwant:\n%s", body, want)
	}
}

func TestMailPlainWithoutAuth(t *testing.T) {
	ctx := t.Context()
	srv := startSMTP(t, "127.0.0.1:0", &smtpServer{})
	host, port := srv.hostPort()
	m := &Mail{Host: host, Port: port, From: "upkeep@erp1.example", To: []string{"admin@example.com"}}
	if err := m.Send(ctx, "erp1", sample[:1]); err != nil {
		t.Fatal(err)
	}
	if got := srv.messages(); len(got) != 1 || got[0].tls || got[0].authed {
		t.Fatalf("received %+v", got)
	}
}

func TestMailErrorsSayWhatToDo(t *testing.T) {
	ctx := t.Context()
	serverTLS, clientTLS := selfSigned(t)
	srv := startSMTP(t, "127.0.0.1:0", &smtpServer{tls: serverTLS, user: "upkeep", pass: "pw", rejectRcpt: "nobody"})
	host, port := srv.hostPort()
	base := Mail{Host: host, Port: port, From: "upkeep@erp1.example", To: []string{"admin@example.com"}, User: "upkeep", Password: "pw", TLS: clientTLS}
	for name, c := range map[string]struct {
		edit func(*Mail)
		want string
	}{
		"wrong password":    {func(m *Mail) { m.Password = "nope" }, `AUTH: 535 "5.7.8 authentication failed"; check notify.smtp.user`},
		"unknown recipient": {func(m *Mail) { m.To = append(m.To, "nobody@example.com") }, `RCPT TO nobody@example.com: 550 "5.1.1 no such user"; check notify.smtp.to`},
		"untrusted cert":    {func(m *Mail) { m.TLS = nil }, "STARTTLS: tls: failed to verify certificate"},
		"nothing listening": {func(m *Mail) { m.Port = closedPort(t) }, "connect: dial tcp"},
	} {
		m := base
		c.edit(&m)
		err := m.Send(ctx, "erp1", sample)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error = %v, want %q", name, err, c.want)
		}
	}
	if n := len(srv.messages()); n != 0 {
		t.Fatalf("%d messages were delivered by failing sends", n)
	}
}

// A password is never sent over a connection without TLS to another host.
func TestMailRefusesPasswordInClear(t *testing.T) {
	ctx := t.Context()
	srv := startSMTP(t, "127.0.0.2:0", &smtpServer{user: "upkeep", pass: "pw"})
	host, port := srv.hostPort()
	m := &Mail{Host: host, Port: port, From: "upkeep@erp1.example", To: []string{"admin@example.com"}, User: "upkeep", Password: "pw"}
	err := m.Send(ctx, "erp1", sample)
	if err == nil || !strings.Contains(err.Error(), "unencrypted connection") {
		t.Fatalf("error = %v, want a refusal to authenticate in clear", err)
	}
}

func TestMailTimeout(t *testing.T) {
	ctx := t.Context()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // accepts and never greets
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	a := ln.Addr().(*net.TCPAddr)
	began := time.Now()
	err = (&Mail{Host: "127.0.0.1", Port: a.Port, From: "a@b.example", To: []string{"c@d.example"}, Timeout: 100 * time.Millisecond}).Send(ctx, "erp1", sample)
	if err == nil || !strings.Contains(err.Error(), "greeting") || time.Since(began) > 5*time.Second {
		t.Fatalf("error = %v after %s", err, time.Since(began))
	}
}

func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return p
}
