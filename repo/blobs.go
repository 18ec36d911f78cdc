package repo

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// maxCachedBlobs bounds the in-memory cache of immutable documents.
const maxCachedBlobs = 50000

// blobCache serves signed documents from the blobs table. Immutable ones
// (version- or content-named) are cached forever; mutable ones
// (timestamp.json, root.json) are revalidated by ETag on every request, so
// a 304 costs one indexed lookup and a publish by another process is seen at once.
type blobCache struct {
	etagStmt, bodyStmt *sqlx.Stmt
	genPath            string // Store.bumpGeneration replaces it after every commit
	mu                 sync.RWMutex
	m                  map[string]*cachedFile
}

// maxStale bounds how long a mutable document is served without asking the
// database, should the generation file ever fail to change.
const maxStale = time.Second

// fresh reports whether a cached mutable document can be served as is: the
// generation file is the one seen when it was loaded, less than maxStale ago.
func (bc *blobCache) fresh(c *cachedFile) bool {
	if c.gen == nil || time.Since(c.loaded) > maxStale {
		return false
	}
	fi, err := os.Stat(bc.genPath)
	return err == nil && os.SameFile(fi, c.gen) && fi.ModTime().Equal(c.gen.ModTime())
}

func newBlobCache(db *sqlx.DB, genPath string) (*blobCache, error) {
	etag, err := db.Preparex("SELECT etag FROM blobs WHERE path = ?")
	if err != nil {
		return nil, fmt.Errorf("prepare etag lookup: %w", err)
	}
	body, err := db.Preparex("SELECT etag, body FROM blobs WHERE path = ?")
	if err != nil {
		return nil, fmt.Errorf("prepare body lookup: %w", err)
	}
	return &blobCache{etagStmt: etag, bodyStmt: body, genPath: genPath, m: map[string]*cachedFile{}}, nil
}

var errNoBlob = errors.New("no such document")

func (bc *blobCache) get(path string) (*cachedFile, error) {
	bc.mu.RLock()
	c := bc.m[path]
	bc.mu.RUnlock()
	if c != nil && (!mutable(path) || bc.fresh(c)) {
		return c, nil
	}
	gen, _ := os.Stat(bc.genPath) // before the query: a commit after it shows as a new generation
	if c != nil {
		var etag string
		if err := bc.etagStmt.Get(&etag, path); err != nil {
			return nil, lookupErr(err)
		}
		if etag == c.etag {
			bc.store(path, &cachedFile{etag: c.etag, body: c.body, size: c.size, gz: c.gz, gen: gen, loaded: time.Now()})
			return c, nil
		}
	}
	var row struct {
		ETag string `db:"etag"`
		Body []byte `db:"body"`
	}
	if err := bc.bodyStmt.Get(&row, path); err != nil {
		return nil, lookupErr(err)
	}
	c = &cachedFile{etag: row.ETag, body: row.Body, size: int64(len(row.Body)), gz: gzipIfSmaller(row.Body), gen: gen, loaded: time.Now()}
	bc.store(path, c)
	return c, nil
}

func (bc *blobCache) store(path string, c *cachedFile) {
	bc.mu.Lock()
	if len(bc.m) >= maxCachedBlobs {
		for k := range bc.m { // evict an arbitrary entry
			delete(bc.m, k)
			break
		}
	}
	bc.m[path] = c
	bc.mu.Unlock()
}

func lookupErr(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errNoBlob
	}
	return fmt.Errorf("look up document: %w", err)
}

// serveBlob answers a GET for a signed document.
func (srv *Server) serveBlob(w http.ResponseWriter, r *http.Request, name string) {
	c, err := srv.blobs.get(name)
	if errors.Is(err, errNoBlob) {
		writeError(w, http.StatusNotFound, "not found: /"+name, "")
		return
	}
	if err != nil {
		srv.log.Error("serve document", "path", name, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error; see the repository server's log", "")
		return
	}
	serveEntity(w, r, name, c, nil)
}
