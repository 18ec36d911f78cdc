package fetch

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// hostile answers timestamp.json in ways that must fail fast.
var hostile = map[string]http.HandlerFunc{
	"declared 100 MB": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000000")
		w.WriteHeader(http.StatusOK)
		w.Write(make([]byte, 1024))
	},
	"endless zeros": func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		zeros := make([]byte, 32<<10)
		for r.Context().Err() == nil {
			if _, err := w.Write(zeros); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	},
	"gzip bomb": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(len(bomb)))
		w.Write(bomb)
	},
	"endless gzip": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		zeros := make([]byte, 1<<20)
		for r.Context().Err() == nil {
			if _, err := zw.Write(zeros); err != nil || zw.Flush() != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	},
}

// bomb is 8 MiB of zeros gzipped to about 8 KiB: small enough on the wire
// for a timestamp, far past its 16 KiB cap once decoded.
var bomb = func() []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(make([]byte, 8<<20))
	zw.Close()
	return b.Bytes()
}()

func TestOversizedAndEndlessAnswersFailFast(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 4)
	for name, h := range hostile {
		t.Run(name, func(t *testing.T) {
			e.setIntercept(func(w http.ResponseWriter, r *http.Request) bool {
				if r.URL.Path != tsPath {
					return false
				}
				h(w, r)
				return true
			})
			c := e.client("2.50", "")
			start := time.Now()
			_, err := c.Check(ctxT(t))
			var tl *TooLargeError
			if !errors.As(err, &tl) || !strings.Contains(err.Error(), "metadata too large") || tl.Limit != DefaultLimits().Timestamp {
				t.Fatalf("Check against %s: %v, want a TooLargeError at the timestamp cap", name, err)
			}
			if s := c.Stats(); s.Bytes > tl.Limit+1 || s.WireBytes > 64<<10 {
				t.Fatalf("Check against %s read %+v, want at most the cap", name, s)
			}
			t.Logf("%s: %v in %s", name, err, time.Since(start))
		})
	}
}

func TestRootProbe404IsTUFDownloadHTTP(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	dir := t.TempDir()
	for _, u := range []string{srv.URL + "/2.50/metadata/2.root.json", "file://" + filepath.ToSlash(dir) + "/2.root.json"} {
		_, err := NewFetcher(nil, Limits{}, Deadlines{}).DownloadFile(u, 1<<10, 0)
		var he *metadata.ErrDownloadHTTP
		if !errors.As(err, &he) || he.StatusCode != http.StatusNotFound {
			t.Fatalf("DownloadFile %s = %v, want *metadata.ErrDownloadHTTP 404", u, err)
		}
	}
}

func TestDownloadFileCapsAndStats(t *testing.T) {
	t.Parallel()
	body := bytes.Repeat([]byte(`{"x":1}`), 200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(body)
	}))
	defer srv.Close()
	f := NewFetcher(srv.Client(), Limits{}, Deadlines{})
	got, err := f.DownloadFile(srv.URL+"/repo/targets/x.json", int64(len(body)), 0)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("DownloadFile at the exact length = %d bytes, %v", len(got), err)
	}
	if _, err := f.DownloadFile(srv.URL+"/repo/targets/x.json", int64(len(body)-1), 0); !errors.Is(err, &metadata.ErrDownloadLengthMismatch{}) {
		t.Fatalf("DownloadFile one byte over = %v, want a length error", err)
	}
	file := filepath.Join(t.TempDir(), "x.json")
	os.WriteFile(file, body, 0o600)
	if _, err := f.DownloadFile("file://"+filepath.ToSlash(file), 10, 0); !errors.As(err, new(*TooLargeError)) {
		t.Fatalf("DownloadFile of a too large file = %v, want TooLargeError", err)
	}
	if s := f.Stats(); s.Requests != 3 || s.Bytes != int64(len(body)) || s.WireBytes <= s.Bytes {
		t.Fatalf("stats %+v, want 3 requests, %d decoded bytes (the caps reject the others before reading) and more on the wire (headers)", s, len(body))
	}
}
