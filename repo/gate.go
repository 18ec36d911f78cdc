package repo

import (
	"context"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"time"
)

// privateCache holds the names of the private repositories, read again
// when the store's generation file changes (every commit replaces it) and
// at least every maxStale.
type privateCache struct {
	store   *Store
	genPath string
	mu      sync.Mutex
	set     map[string]bool
	gen     os.FileInfo
	loaded  time.Time
}

func (p *privateCache) get(ctx context.Context) (map[string]bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	gen, _ := os.Stat(p.genPath)
	if p.set != nil && time.Since(p.loaded) < maxStale && gen != nil && p.gen != nil &&
		os.SameFile(gen, p.gen) && gen.ModTime().Equal(p.gen.ModTime()) {
		return p.set, nil
	}
	set, err := p.store.privateRepositories(ctx)
	if err != nil {
		return nil, err
	}
	p.set, p.gen, p.loaded = set, gen, time.Now()
	return set, nil
}

type gatedKey struct{}

// allowRead lets a read of the public tree through, unless it is a private
// repository's document, or an archive only private repositories hold:
// then the request must carry a token that may read one of them (401
// without a valid token, 403 with one of another scope). What it lets
// through is marked as private for the caches in between.
func (srv *Server) allowRead(w http.ResponseWriter, r *http.Request, name string) (*http.Request, bool) {
	need, err := srv.readScope(r.Context(), name)
	if err != nil {
		srv.reply(w, r, nil, err)
		return r, false
	}
	if len(need) == 0 {
		return r, true
	}
	a, err := srv.store.Authenticate(r.Context(), bearer(r.Header.Get("Authorization")))
	if err != nil {
		srv.log.Warn("private read refused", "path", "/"+name, "who", a.Name, "err", err)
		srv.reply(w, r, nil, wrapKind(KindUnauthorized, err, "/%s belongs to private repository %s and needs a reader token", name, strings.Join(need, ", ")))
		return r, false
	}
	for _, n := range need {
		if a.CanRead(n) {
			return r.WithContext(context.WithValue(r.Context(), gatedKey{}, true)), true
		}
	}
	srv.log.Warn("private read refused", "path", "/"+name, "who", a.Name, "scope", a.Repositories)
	writeError(w, http.StatusForbidden, "token "+a.Name+" may not read private repository "+strings.Join(need, ", ")+
		": ask the repository's operator for a reader token scoped to it", "")
	return r, false
}

// readScope returns the private repositories one of which a reader of name
// must be allowed to read; none for a public document.
func (srv *Server) readScope(ctx context.Context, name string) ([]string, error) {
	private, err := srv.private.get(ctx)
	if err != nil || len(private) == 0 {
		return nil, err
	}
	first, _, _ := strings.Cut(name, "/")
	if private[first] {
		return []string{first}, nil
	}
	if first != archivesDir {
		return nil, nil
	}
	sha, ok := strings.CutSuffix(path.Base(name), ".zip")
	if !ok {
		return nil, nil
	}
	repos, err := srv.store.archiveRepositories(ctx, sha)
	if err != nil {
		return nil, err
	}
	for _, r := range repos {
		if !private[r] {
			return nil, nil // a public repository carries it too
		}
	}
	return repos, nil
}

// cacheControl is the Cache-Control of a served document: shared caches
// may keep public ones, never what a token was needed for.
func cacheControl(r *http.Request, name string) string {
	gated, _ := r.Context().Value(gatedKey{}).(bool)
	switch {
	case mutable(name) && gated:
		return "private, no-cache"
	case mutable(name):
		return "no-cache"
	case gated:
		return "private, max-age=31536000, immutable"
	}
	return "public, max-age=31536000, immutable"
}
