package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/store"
)

// Webhook headers. The signature is "sha256=" and the hex HMAC-SHA256, keyed
// with the shared secret, of the timestamp header's value, a dot, and the body.
const (
	HeaderTimestamp = "X-Upkeep-Timestamp" // Unix seconds when sent
	HeaderSignature = "X-Upkeep-Signature"
)

// DefaultTimeout bounds one webhook POST or one SMTP conversation.
const DefaultTimeout = 30 * time.Second

// Webhook posts events as JSON to a URL.
type Webhook struct {
	URL     string
	Secret  []byte        // optional: sign each POST (HeaderSignature)
	Timeout time.Duration // default DefaultTimeout
	Client  *http.Client  // default: a client that does not follow redirects
	Now     func() time.Time
}

// Payload is the JSON body of a webhook POST. Delivery is at least once: a
// receiver that must not act twice skips event ids it has seen.
type Payload struct {
	Host   string        `json:"host"`
	Urgent bool          `json:"urgent"` // some event is a security fix or an exposure
	Events []store.Event `json:"events"`
}

// Send posts the events in one request; any answer but 2xx is an error.
func (w *Webhook) Send(ctx context.Context, host string, events []store.Event) error {
	body, err := json.Marshal(Payload{Host: host, Urgent: Urgent(events), Events: events})
	if err != nil {
		return fmt.Errorf("webhook: encode events: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, orDefault(w.Timeout, DefaultTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s: %w; check notify.webhook_url", w.URL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "upkeep-agent")
	if len(w.Secret) > 0 {
		now := time.Now
		if w.Now != nil {
			now = w.Now
		}
		ts := strconv.FormatInt(now().Unix(), 10)
		req.Header.Set(HeaderTimestamp, ts)
		req.Header.Set(HeaderSignature, Sign(w.Secret, ts, body))
	}
	resp, err := w.client().Do(req)
	if err != nil {
		return fmt.Errorf("webhook POST %s: %w; check that the receiver is up and reachable from this host", w.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		hint := "the receiver failed; it is retried at the next scan"
		if resp.StatusCode/100 == 3 {
			hint = "the webhook redirects: give its final URL in notify.webhook_url"
		} else if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			hint = "the receiver refused the signature: check notify.webhook_secret_file against the receiver's secret"
		}
		return fmt.Errorf("webhook POST %s: HTTP %d %s; %s", w.URL, resp.StatusCode, strings.TrimSpace(string(snippet)), hint)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return nil
}

func (w *Webhook) client() *http.Client {
	if w.Client != nil {
		return w.Client
	}
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Sign returns the signature header value for a timestamp and body.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// ErrBadSignature says a webhook request's signature does not match.
var ErrBadSignature = errors.New("webhook signature does not match")

// Verify checks a received request's signature in constant time, and that
// its timestamp is within maxAge of now (a replay guard; 0 skips it).
func Verify(secret []byte, timestamp string, body []byte, signature string, now time.Time, maxAge time.Duration) error {
	if !hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature)) {
		return ErrBadSignature
	}
	if maxAge > 0 {
		ts, err := strconv.ParseInt(timestamp, 10, 64)
		if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > maxAge {
			return fmt.Errorf("%w: timestamp %q is not within %s of now", ErrBadSignature, timestamp, maxAge)
		}
	}
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
