package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/store"
)

var sample = []store.Event{
	{ID: 7, At: "2026-03-24T11:14:59Z", Kind: store.EventPatches, Level: store.LevelInfo, Title: "New patch: arp 1.4.0.1",
		Body: "  arp 1.4.0 → 1.4.0.1 (patch, confirmed-stable, repository 2.50): Fix rounding\n", NewsKey: "patches:arp@1.4.0.1", Notify: true},
	{ID: 8, At: "2026-03-25T11:03:38Z", Kind: store.EventUnreachable, Level: store.LevelWarning,
		Title: "Update checks are failing: dial tcp 192.0.2.7:443: connection refused",
		Body:  "Error: dial tcp 192.0.2.7:443: connection refused\nThe schedule retries quietly.\n", Notify: true},
}

type captured struct {
	header http.Header
	body   []byte
}

func hookServer(t *testing.T, status int) (*httptest.Server, chan captured) {
	got := make(chan captured, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- captured{r.Header.Clone(), b}
		w.WriteHeader(status)
		io.WriteString(w, "receiver says hi")
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestWebhookPostsSignedJSON(t *testing.T) {
	ctx := t.Context()
	srv, got := hookServer(t, http.StatusNoContent)
	now := time.Unix(1774350000, 0)
	w := &Webhook{URL: srv.URL, Secret: []byte("s3cret"), Now: func() time.Time { return now }}
	if err := w.Send(ctx, "erp1", sample); err != nil {
		t.Fatal(err)
	}
	c := <-got
	ts, sig := c.header.Get(HeaderTimestamp), c.header.Get(HeaderSignature)
	if ts != "1774350000" || !strings.HasPrefix(sig, "sha256=") || c.header.Get("Content-Type") != "application/json" {
		t.Fatalf("headers = %v", c.header)
	}
	if err := Verify([]byte("s3cret"), ts, c.body, sig, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	var p Payload
	if err := json.Unmarshal(c.body, &p); err != nil || p.Host != "erp1" || len(p.Events) != 2 || p.Events[1].Title != sample[1].Title {
		t.Fatalf("payload = %+v, %v", p, err)
	}
	for name, err := range map[string]error{
		"tampered body": Verify([]byte("s3cret"), ts, append(c.body, ' '), sig, now, 0),
		"other secret":  Verify([]byte("other"), ts, c.body, sig, now, 0),
		"replayed late": Verify([]byte("s3cret"), ts, c.body, sig, now.Add(time.Hour), 5*time.Minute),
	} {
		if !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: Verify = %v, want ErrBadSignature", name, err)
		}
	}
	// Without a secret, nothing is signed.
	if err := (&Webhook{URL: srv.URL}).Send(ctx, "erp1", sample[:1]); err != nil {
		t.Fatal(err)
	}
	if c := <-got; c.header.Get(HeaderSignature) != "" || c.header.Get(HeaderTimestamp) != "" {
		t.Fatalf("unsigned request carries %v", c.header)
	}
}

func TestWebhookErrorsSayWhatToDo(t *testing.T) {
	ctx := t.Context()
	for status, want := range map[int]string{
		http.StatusInternalServerError: "HTTP 500 receiver says hi; the receiver failed",
		http.StatusFound:               "the webhook redirects: give its final URL",
		http.StatusUnauthorized:        "check notify.webhook_secret_file",
	} {
		srv, _ := hookServer(t, status)
		err := (&Webhook{URL: srv.URL}).Send(ctx, "erp1", sample)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("HTTP %d: error = %v, want %q", status, err, want)
		}
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	if err := (&Webhook{URL: closed.URL}).Send(ctx, "erp1", sample); err == nil || !strings.Contains(err.Error(), "check that the receiver is up") {
		t.Errorf("closed server: %v", err)
	}
}

func TestWebhookTimeout(t *testing.T) {
	ctx := t.Context()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	began := time.Now()
	err := (&Webhook{URL: srv.URL, Timeout: 100 * time.Millisecond}).Send(ctx, "erp1", sample)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want a deadline", err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Fatalf("the timeout of 100ms took %s", took)
	}
}
