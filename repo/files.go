package repo

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// smallFile is the size under which a file is kept in memory with its gzip form.
const smallFile = 1 << 20

// fileCache serves a static tree with strong ETags, 304s and gzip. Entries
// are keyed by path and revalidated by size and modification time, so files
// replaced by another process (a CLI publish) are picked up at once.
type fileCache struct {
	root string
	mu   sync.RWMutex
	m    map[string]*cachedFile
}

type cachedFile struct {
	size  int64
	mtime time.Time
	etag  string
	body  []byte // nil for large files
	gz    []byte // nil when gzip does not help

	gen    os.FileInfo // mutable documents: the generation file when loaded
	loaded time.Time
}

func newFileCache(root string) *fileCache {
	return &fileCache{root: root, m: map[string]*cachedFile{}}
}

func (fc *fileCache) get(name string) (*cachedFile, *os.File, error) {
	full := filepath.Join(fc.root, filepath.FromSlash(name))
	f, err := os.Open(full)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		f.Close()
		return nil, nil, os.ErrNotExist
	}
	fc.mu.RLock()
	c := fc.m[name]
	fc.mu.RUnlock()
	if c != nil && c.size == st.Size() && c.mtime.Equal(st.ModTime()) {
		if c.body != nil {
			f.Close()
			return c, nil, nil
		}
		return c, f, nil
	}
	c, err = load(f, st)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	fc.mu.Lock()
	fc.m[name] = c
	fc.mu.Unlock()
	if c.body != nil {
		f.Close()
		return c, nil, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("seek %s: %w", name, err)
	}
	return c, f, nil
}

func load(f *os.File, st os.FileInfo) (*cachedFile, error) {
	c := &cachedFile{size: st.Size(), mtime: st.ModTime()}
	h := sha256.New()
	var buf bytes.Buffer
	w := io.Writer(h)
	if st.Size() <= smallFile {
		w = io.MultiWriter(h, &buf)
	}
	if _, err := io.Copy(w, f); err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	c.etag = `"` + hex.EncodeToString(h.Sum(nil))[:32] + `"`
	if st.Size() <= smallFile {
		c.body = buf.Bytes()
		c.gz = gzipIfSmaller(c.body)
	}
	return c, nil
}

func gzipIfSmaller(b []byte) []byte {
	if len(b) < 256 {
		return nil
	}
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	if out.Len() >= len(b)*9/10 {
		return nil
	}
	return out.Bytes()
}

// mutable names change in place; every other published file is immutable
// (content- or version-named).
func mutable(name string) bool {
	base := path.Base(name)
	return base == "timestamp.json" || base == "root.json"
}

func (fc *fileCache) serve(w http.ResponseWriter, r *http.Request, name string) {
	c, f, err := fc.get(name)
	if err != nil {
		writeError(w, http.StatusNotFound, "not found: /"+name, "")
		return
	}
	if f != nil {
		defer f.Close()
	}
	serveEntity(w, r, name, c, f)
}

// serveEntity answers with c (body in memory, or streamed from f) with a
// strong ETag, a 304 when If-None-Match names it, and gzip when accepted.
func serveEntity(w http.ResponseWriter, r *http.Request, name string, c *cachedFile, f *os.File) {
	h := w.Header()
	h.Set("Cache-Control", cacheControl(r, name))
	gz := c.gz != nil && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip")
	etag := c.etag
	if gz {
		etag = strings.TrimSuffix(c.etag, `"`) + `-gz"`
	}
	if c.gz != nil {
		h.Set("Vary", "Accept-Encoding")
	}
	h.Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatch(inm, c.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeEntity(w, r, name, c, f, gz)
}

func writeEntity(w http.ResponseWriter, r *http.Request, name string, c *cachedFile, f *os.File, gz bool) {
	h := w.Header()
	if strings.HasSuffix(name, ".json") {
		h.Set("Content-Type", "application/json")
	} else {
		h.Set("Content-Type", "application/octet-stream")
	}
	if f != nil {
		http.ServeContent(w, r, "", c.mtime, f)
		return
	}
	body := c.body
	if gz {
		h.Set("Content-Encoding", "gzip")
		body = c.gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// etagMatch reports whether an If-None-Match header names the entity, in
// its identity or gzip form.
func etagMatch(header, etag string) bool {
	base := strings.Trim(etag, `"`)
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		t = strings.Trim(t, `"`)
		if t == "*" || t == base || t == base+"-gz" {
			return true
		}
	}
	return false
}
