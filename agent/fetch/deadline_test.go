package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// quick are deadlines a test can wait out: a 1 KiB/s floor over 200 ms
// windows, and 150 ms of grace.
var quick = Deadlines{Connect: 300 * time.Millisecond, MinSpeed: 1024, Window: 200 * time.Millisecond, Grace: 150 * time.Millisecond}

// trickle answers 200 and sends one byte every 20 ms (50 bytes/s) until
// the client goes away.
func trickle(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
	for r.Context().Err() == nil {
		if _, err := w.Write([]byte(" ")); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		time.Sleep(20 * time.Millisecond)
	}
}

// silent never answers.
func silent(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }

// oneByte answers one byte, then nothing.
func oneByte(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
	w.Write([]byte("{"))
	w.(http.Flusher).Flush()
	<-r.Context().Done()
}

func TestSlowServersFailWithTheURLAndWhy(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	cases := []struct {
		name string
		h    http.HandlerFunc
		d    Deadlines
		why  string
	}{
		{"1 byte every 20 ms", trickle, quick, "under the floor of 1024 bytes/s"},
		{"no answer", silent, quick, "no answer within 200ms"},
		// A floor of 100 bytes/s lets the first window (headers and a byte) pass.
		{"stops after one byte", oneByte, Deadlines{MinSpeed: 100, Window: 200 * time.Millisecond}, "it stopped sending for 200ms"},
		// With grace shorter than a window, the overall deadline comes first.
		{"past the overall deadline", oneByte, Deadlines{MinSpeed: 1 << 20, Window: time.Minute, Grace: 100 * time.Millisecond}, "it was not done after"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path != tsPath {
					return false
				}
				tc.h(w, r)
				return true
			})
			c := e.client("2.50", "", func(c *Config) { c.Deadlines = tc.d })
			start := time.Now()
			_, err := c.Check(ctxT(t))
			took := time.Since(start)
			var se *SlowError
			if !errors.As(err, &se) || !errors.Is(err, ErrTooSlow) || !strings.Contains(err.Error(), e.srv.URL+tsPath) || !strings.Contains(err.Error(), tc.why) {
				t.Fatalf("Check = %v, want a SlowError naming %s and %q", err, e.srv.URL+tsPath, tc.why)
			}
			if took > 3*time.Second {
				t.Fatalf("Check took %s to give up", took)
			}
			t.Logf("%v (after %s)", err, took)
		})
	}
}

func TestArchiveDeadlineFromItsLength(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	ref := mustListing(t, e.client("2.50", ""), "arp").Latest().Archive
	c := e.client("2.50", "", func(c *Config) { c.Deadlines = quick })
	e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasPrefix(r.URL.Path, "/archives/") {
			return false
		}
		trickle(w, r)
		return true
	})
	err := c.Archive(ctxT(t), ref, filepath.Join(t.TempDir(), "arp.zip"))
	if !errors.Is(err, ErrTooSlow) || !strings.Contains(err.Error(), ref.Path) {
		t.Fatalf("Archive from a trickling server = %v, want too slow naming %s", err, ref.Path)
	}
	if got, want := quick.Overall(ref.Length), quick.Grace+time.Duration(ref.Length)*time.Second/1024; got != want {
		t.Fatalf("Overall(%d) = %s, want %s", ref.Length, got, want)
	}
}

func TestCallerCancelIsNotTooSlow(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(silent))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := NewFetcher(nil, Limits{}, quick).WithContext(ctx).DownloadFile(srv.URL+"/r/metadata/timestamp.json", 1<<10, 0)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrTooSlow) {
		t.Fatalf("DownloadFile cancelled by its caller = %v, want context.Canceled, not too slow", err)
	}
}

func TestFileExportRefusesAFIFO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	meta := filepath.Join(dir, "2.50", "metadata")
	os.MkdirAll(meta, 0o755)
	if err := syscall.Mkfifo(filepath.Join(meta, "timestamp.json"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	c, err := New(Config{BaseURL: "file://" + filepath.ToSlash(dir), Repository: "2.50", TrustedRoot: newEnv(t, 4).root, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := c.Check(ctxT(t)); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("Check of an export whose timestamp.json is a FIFO = %v, want a refusal", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Check blocked on a FIFO in the export")
	}
}

func TestTokenIsSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Authorization") != "Bearer upk_reader" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return true
		}
		return false
	})
	if _, err := e.client("2.50", "").Check(ctxT(t)); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("Check without the token = %v, want HTTP 401", err)
	}
	c := e.client("2.50", "", func(c *Config) { c.Token = "upk_reader" })
	mustCheck(t, c)
	mustListing(t, c, "arp")
}
