package repo

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"sync"

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
	mu                 sync.RWMutex
	m                  map[string]*cachedFile
}

func newBlobCache(db *sqlx.DB) (*blobCache, error) {
	etag, err := db.Preparex("SELECT etag FROM blobs WHERE path = ?")
	if err != nil {
		return nil, fmt.Errorf("prepare etag lookup: %w", err)
	}
	body, err := db.Preparex("SELECT etag, body FROM blobs WHERE path = ?")
	if err != nil {
		return nil, fmt.Errorf("prepare body lookup: %w", err)
	}
	return &blobCache{etagStmt: etag, bodyStmt: body, m: map[string]*cachedFile{}}, nil
}

var errNoBlob = errors.New("no such document")

func (bc *blobCache) get(path string) (*cachedFile, error) {
	bc.mu.RLock()
	c := bc.m[path]
	bc.mu.RUnlock()
	if c != nil && !mutable(path) {
		return c, nil
	}
	if c != nil {
		var etag string
		if err := bc.etagStmt.Get(&etag, path); err != nil {
			return nil, lookupErr(err)
		}
		if etag == c.etag {
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
	c = &cachedFile{etag: row.ETag, body: row.Body, size: int64(len(row.Body)), gz: gzipIfSmaller(row.Body)}
	bc.mu.Lock()
	if len(bc.m) >= maxCachedBlobs {
		for k := range bc.m { // evict an arbitrary entry
			delete(bc.m, k)
			break
		}
	}
	bc.m[path] = c
	bc.mu.Unlock()
	return c, nil
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
