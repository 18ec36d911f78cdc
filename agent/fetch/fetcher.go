package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/upkeep-erp/upkeep/platform"
)

// Stats counts what a client downloaded since it was made or last reset.
type Stats struct {
	Requests    int64 // requests sent (file reads included)
	NotModified int64 // answers 304 Not Modified
	WireBytes   int64 // bytes received: status line and headers, then the body as sent (compressed)
	Bytes       int64 // body bytes after decompression
}

type counters struct {
	requests, notModified, wire, bytes atomic.Int64
}

// Fetcher downloads files over http(s) or from file:// URLs: it asks for
// gzip and decodes it itself, so it can cap the decoded size (gzip bombs)
// and count the compressed bytes; it caps every answer, gives up on a
// server too slow for its Deadlines, and honours its context. It
// implements go-tuf's fetcher.Fetcher.
type Fetcher struct {
	client  *http.Client
	limits  Limits
	dl      Deadlines
	token   string // sent as a bearer token when set
	stats   *counters
	ctx     context.Context
	preload *preload
}

// preload holds one-shot answers, keyed by URL: the timestamp Check already
// downloaded, so the TUF refresh does not download it twice.
type preload struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (p *preload) take(u string) ([]byte, bool) {
	if p == nil {
		return nil, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	data, ok := p.m[u]
	delete(p.m, u)
	return data, ok
}

// NewFetcher returns a fetcher using client (nil: one of its own whose
// connections must open within d.Connect), limits and deadlines (zero
// fields: the defaults). Every download is held to d, whatever the client.
func NewFetcher(client *http.Client, limits Limits, d Deadlines) *Fetcher {
	d = d.withDefaults()
	if client == nil {
		client = &http.Client{Transport: newTransport(d)}
	}
	return &Fetcher{client: client, limits: limits.withDefaults(), dl: d, stats: &counters{}, ctx: context.Background()}
}

// WithContext returns a fetcher sharing f's client and counters whose
// DownloadFile calls use ctx.
func (f *Fetcher) WithContext(ctx context.Context) *Fetcher {
	g := *f
	g.ctx = ctx
	g.preload = nil
	return &g
}

// withPreload returns a fetcher that answers the first DownloadFile of u
// with data, without a request.
func (f *Fetcher) withPreload(u string, data []byte) *Fetcher {
	g := *f
	g.preload = &preload{m: map[string][]byte{u: data}}
	return &g
}

// Stats returns the counters.
func (f *Fetcher) Stats() Stats {
	return Stats{Requests: f.stats.requests.Load(), NotModified: f.stats.notModified.Load(),
		WireBytes: f.stats.wire.Load(), Bytes: f.stats.bytes.Load()}
}

// ResetStats zeroes the counters.
func (f *Fetcher) ResetStats() {
	f.stats.requests.Store(0)
	f.stats.notModified.Store(0)
	f.stats.wire.Store(0)
	f.stats.bytes.Store(0)
}

// DownloadFile implements go-tuf's fetcher.Fetcher: it returns the body at
// urlPath, failing when it is longer than maxLength or than the Limits cap
// for that kind of file. The timeout argument is unused (go-tuf deprecated
// it); the fetcher's deadlines and the context apply instead.
func (f *Fetcher) DownloadFile(urlPath string, maxLength int64, _ time.Duration) ([]byte, error) {
	if data, ok := f.preload.take(urlPath); ok {
		return data, nil
	}
	limit := min(maxLength, f.limits.forURL(urlPath))
	var buf bytes.Buffer
	if _, err := f.fetch(f.ctx, urlPath, limit, "", &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// reply describes a finished fetch.
type reply struct {
	notModified bool
	etag        string
	n           int64 // decoded body bytes written
}

// fetch copies the body at rawURL to w, at most limit decoded bytes; with
// etag set, a 304 answer returns notModified and writes nothing.
func (f *Fetcher) fetch(ctx context.Context, rawURL string, limit int64, etag string, w io.Writer) (reply, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return reply{}, fmt.Errorf("%q is not a URL: %w", rawURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file" {
		return reply{}, fmt.Errorf("fetch %s: scheme %q is not supported; use http, https or file", rawURL, u.Scheme)
	}
	ctx, p := startPace(ctx, f.dl, rawURL, limit)
	defer p.stop()
	var r reply
	if u.Scheme == "file" {
		r, err = f.fetchFile(ctx, p, u, rawURL, limit, w)
	} else {
		r, err = f.fetchHTTP(ctx, p, rawURL, limit, etag, w)
	}
	if se, ok := slow(ctx); ok && err != nil && !errors.As(err, new(*TooLargeError)) {
		return reply{}, se
	}
	return r, err
}

func (f *Fetcher) fetchHTTP(ctx context.Context, p *pace, rawURL string, limit int64, etag string, w io.Writer) (reply, error) {
	resp, err := f.send(ctx, rawURL, etag)
	var se *SlowError
	if errors.As(err, &se) && se.URL == "" { // the connect deadline
		return reply{}, &SlowError{URL: rawURL, What: se.What}
	}
	if err != nil && ctx.Err() != nil { // stopped by the caller or a deadline: the caller's error, or fetch's
		return reply{}, err
	}
	if err != nil {
		return reply{}, fmt.Errorf("%w; check the repository's URL (repository.url) and the network", err)
	}
	defer resp.Body.Close()
	f.stats.wire.Add(headerSize(resp))
	p.add(int(headerSize(resp)))
	switch {
	case resp.StatusCode == http.StatusNotModified && etag != "":
		f.stats.notModified.Add(1)
		return reply{notModified: true, etag: etag}, nil
	case resp.StatusCode != http.StatusOK:
		return reply{}, &HTTPError{URL: rawURL, StatusCode: resp.StatusCode}
	}
	body := &body{f: f, url: rawURL, limit: limit, pace: p}
	n, err := body.copy(w, resp)
	return reply{etag: resp.Header.Get("ETag"), n: n}, err
}

func (f *Fetcher) send(ctx context.Context, rawURL, etag string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	// Asking for gzip ourselves stops net/http from decoding it behind our
	// back: we count the compressed bytes and cap the decoded ones.
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("User-Agent", "upkeep-agent")
	if f.token != "" {
		req.Header.Set("Authorization", "Bearer "+f.token)
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	f.stats.requests.Add(1)
	return f.client.Do(req)
}

// headerSize is the size of the status line and headers as sent.
func headerSize(resp *http.Response) int64 {
	n := int64(len(resp.Proto) + 1 + len(resp.Status) + 2 + 2)
	for k, vs := range resp.Header {
		for _, v := range vs {
			n += int64(len(k) + 2 + len(v) + 2)
		}
	}
	return n
}

// body reads one answer's body under the caps.
type body struct {
	f     *Fetcher
	url   string
	limit int64
	pace  *pace
	wire  int64 // bytes read off the connection
}

// copy decodes the body into w, failing past the caps: the declared length
// before reading, then the bytes on the wire, then the decoded bytes.
func (b *body) copy(w io.Writer, resp *http.Response) (int64, error) {
	enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding")))
	wireLimit := b.limit
	if enc == "gzip" {
		wireLimit = b.limit + b.limit/8 + 1024 // deflate's worst case stays well inside this
	}
	if resp.ContentLength > wireLimit {
		return 0, &TooLargeError{URL: b.url, Limit: b.limit, Size: resp.ContentLength}
	}
	var r io.Reader = io.LimitReader(b.counted(resp.Body), wireLimit+1)
	switch enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return 0, fmt.Errorf("GET %s: the server sent a damaged gzip answer: %w", b.url, err)
		}
		r = zr
	default:
		return 0, fmt.Errorf("GET %s: Content-Encoding %q is not supported; a proxy rewrote the answer", b.url, enc)
	}
	n, err := io.Copy(w, io.LimitReader(r, b.limit+1))
	b.f.stats.bytes.Add(n)
	switch {
	case n > b.limit || b.wire > wireLimit:
		return n, &TooLargeError{URL: b.url, Limit: b.limit, Size: -1}
	case err != nil:
		return n, fmt.Errorf("GET %s: read body: %w", b.url, err)
	}
	return n, nil
}

func (b *body) counted(r io.Reader) io.Reader {
	return readerFunc(func(p []byte) (int, error) {
		n, err := r.Read(p)
		if n > 0 {
			b.wire += int64(n)
			b.f.stats.wire.Add(int64(n))
			b.pace.add(n)
		}
		return n, err
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// fetchFile reads a file:// URL under the same caps and deadlines; a
// missing file is a 404, as go-tuf's root probe expects, and anything but a
// regular file (a FIFO, a device) is refused without blocking on it.
func (f *Fetcher) fetchFile(ctx context.Context, p *pace, u *url.URL, rawURL string, limit int64, w io.Writer) (reply, error) {
	f.stats.requests.Add(1)
	fh, err := platform.OpenRegular(localPath(u))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return reply{}, &HTTPError{URL: rawURL, StatusCode: http.StatusNotFound}
	case errors.Is(err, platform.ErrNotRegular):
		return reply{}, fmt.Errorf("read %s: %w; an export holds only regular files: export it again", rawURL, err)
	case err != nil:
		return reply{}, fmt.Errorf("read %s: %w", rawURL, err)
	}
	defer fh.Close()
	if st, err := fh.Stat(); err == nil && st.Size() > limit {
		return reply{}, &TooLargeError{URL: rawURL, Limit: limit, Size: st.Size()}
	}
	r := readerFunc(func(b []byte) (int, error) {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n, err := fh.Read(b)
		p.add(n)
		return n, err
	})
	n, err := io.Copy(w, io.LimitReader(r, limit+1))
	f.stats.wire.Add(n)
	f.stats.bytes.Add(n)
	switch {
	case n > limit:
		return reply{}, &TooLargeError{URL: rawURL, Limit: limit, Size: -1}
	case err != nil:
		return reply{}, fmt.Errorf("read %s: %w", rawURL, err)
	}
	return reply{n: n}, nil
}

// localPath turns a file URL into a path ("file:///C:/x" -> "C:/x").
func localPath(u *url.URL) string {
	p := u.Path
	if len(p) > 2 && p[0] == '/' && p[2] == ':' {
		p = p[1:]
	}
	return filepath.FromSlash(p)
}

// forURL is the cap for the file at u, by its kind.
func (l Limits) forURL(u string) int64 {
	base := path.Base(u)
	switch {
	case base == "root.json" || strings.HasSuffix(base, ".root.json"):
		return l.Root
	case base == "timestamp.json":
		return l.Timestamp
	case strings.HasSuffix(base, ".snapshot.json") || base == "snapshot.json":
		return l.Snapshot
	case strings.Contains(u, "/metadata/"):
		return l.Targets
	case strings.Contains(u, "/targets/"):
		return l.Listing
	}
	return l.Archive
}
