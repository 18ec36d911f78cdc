package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/upkeep-erp/upkeep/catalog"
)

// Server is the repository's HTTP face: the signed read side as static
// files, and the token-guarded write API.
type Server struct {
	store   *Store
	files   *fileCache
	blobs   *blobCache
	private *privateCache
	log     *slog.Logger
	mux     *http.ServeMux
}

// NewServer serves store's signed documents, archives and API.
func NewServer(store *Store, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	blobs, err := newBlobCache(store.db, filepath.Join(store.dir, generationFile))
	if err != nil {
		return nil, err
	}
	srv := &Server{store: store, files: newFileCache(store.PublicDir()), blobs: blobs, log: log, mux: http.NewServeMux(),
		private: &privateCache{store: store, genPath: filepath.Join(store.dir, generationFile)}}
	srv.routes()
	return srv, nil
}

func (srv *Server) routes() {
	m := srv.mux
	m.HandleFunc("GET /healthz", srv.health)
	m.HandleFunc("GET /api/v1/modules", srv.list)
	m.HandleFunc("GET /api/v1/log", srv.auth("", srv.auditLog))
	m.HandleFunc("POST /api/v1/publish", srv.auth("publish", srv.publish))
	m.HandleFunc("POST /api/v1/modules/{module}/versions/{version}/extend", srv.auth("extend", srv.extend))
	m.HandleFunc("PUT /api/v1/modules/{module}/versions/{version}/maturity", srv.auth("maturity", srv.maturity))
	m.HandleFunc("POST /api/v1/modules/{module}/versions/{version}/advisories", srv.auth("advisory", srv.advisory))
	m.HandleFunc("PUT /api/v1/modules/{module}/default-upgrade", srv.auth("default-upgrade", srv.defaultUpgrade))
	m.HandleFunc("GET /", srv.static)
}

// ServeHTTP implements http.Handler.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { srv.mux.ServeHTTP(w, r) }

func (srv *Server) static(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	if name == "" || strings.Contains(name, "..") || strings.HasPrefix(name, ".") || strings.Contains(name, "/.") {
		writeError(w, http.StatusNotFound, "not found: /"+name, "")
		return
	}
	r, ok := srv.allowRead(w, r, name)
	if !ok {
		return
	}
	if strings.HasPrefix(name, archivesDir+"/") {
		srv.files.serve(w, r, name)
		return
	}
	srv.serveBlob(w, r, name)
}

func (srv *Server) health(w http.ResponseWriter, r *http.Request) {
	repos, err := srv.store.Repositories(r.Context())
	private, perr := srv.private.get(r.Context())
	if err != nil || perr != nil {
		writeError(w, http.StatusServiceUnavailable, "store unavailable", errors.Join(err, perr).Error())
		return
	}
	public := []string{}
	for _, n := range repos {
		if !private[n] {
			public = append(public, n)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "repositories": public})
}

// list answers the published modules; a private repository's versions
// only to a token that may read it.
func (srv *Server) list(w http.ResponseWriter, r *http.Request) {
	mods, err := srv.store.List(r.Context(), r.URL.Query().Get("repository"))
	if err != nil {
		srv.reply(w, r, nil, err)
		return
	}
	private, err := srv.private.get(r.Context())
	if err != nil {
		srv.reply(w, r, nil, err)
		return
	}
	var a Actor
	if h := r.Header.Get("Authorization"); h != "" {
		a, _ = srv.store.Authenticate(r.Context(), bearer(h))
	}
	srv.reply(w, r, visibleTo(mods, private, a.CanRead), nil)
}

type actorKey struct{}

// auth resolves the bearer token to an actor, or answers 401; a refused
// write (action not empty) is audited with what the request named.
func (srv *Server) auth(action string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, err := srv.store.Authenticate(r.Context(), bearer(r.Header.Get("Authorization")))
		if err != nil {
			if action != "" {
				srv.store.RecordRefusal(r.Context(), Attempt{Actor: a, Action: action, Module: r.PathValue("module"),
					Version: r.PathValue("version"), Detail: r.Method + " " + r.URL.Path}, err)
			}
			srv.reply(w, r, nil, err)
			return
		}
		ctx := context.WithValue(r.Context(), actorKey{}, a)
		next(w, r.WithContext(context.WithValue(ctx, actionKey{}, action)))
	}
}

type actionKey struct{}

// refuse answers a write refused before it reached the store (a body that
// is not what the route takes) and audits it.
func (srv *Server) refuse(w http.ResponseWriter, r *http.Request, err error) {
	action, _ := r.Context().Value(actionKey{}).(string)
	srv.store.RecordRefusal(r.Context(), Attempt{Actor: actorOf(r), Action: action, Module: r.PathValue("module"),
		Version: r.PathValue("version"), Detail: r.Method + " " + r.URL.Path}, err)
	srv.reply(w, r, nil, err)
}

// bearer extracts the token of an "Authorization: Bearer <token>" header;
// the scheme is case-insensitive (RFC 9110).
func bearer(h string) string {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

func actorOf(r *http.Request) Actor { return r.Context().Value(actorKey{}).(Actor) }

func (srv *Server) auditLog(w http.ResponseWriter, r *http.Request) {
	if err := actorOf(r).requireAdmin("reading the log"); err != nil {
		srv.reply(w, r, nil, err)
		return
	}
	q := r.URL.Query()
	entries, err := srv.store.Log(r.Context(), LogFilter{Module: q.Get("module"), Refused: q.Get("refused") == "true"})
	srv.reply(w, r, entries, err)
}

func (srv *Server) publish(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, srv.store.limits.MaxArchiveSize))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			msg := fmt.Sprintf("archive is over the %d-byte limit; split the module or ask the repository admin to raise the limit", mbe.Limit)
			srv.store.RecordRefusal(r.Context(), Attempt{Actor: actorOf(r), Action: "publish", Detail: "an upload over the limit"}, errorf(KindInvalid, "%s", msg))
			writeError(w, http.StatusRequestEntityTooLarge, msg, "")
			return
		}
		srv.refuse(w, r, wrapKind(KindInvalid, err, "read the upload"))
		return
	}
	pub, err := srv.store.PublishTo(r.Context(), body, r.URL.Query().Get("repository"), actorOf(r))
	srv.replyStatus(w, r, http.StatusCreated, pub, err)
}

type extendRequest struct {
	Depends []string `json:"depends"`
}

func (srv *Server) extend(w http.ResponseWriter, r *http.Request) {
	var req extendRequest
	if err := decodeBody(r, &req); err != nil {
		srv.refuse(w, r, err)
		return
	}
	deps, err := ParseDepends(req.Depends)
	if err != nil {
		srv.refuse(w, r, err)
		return
	}
	ext, err := srv.store.Extend(r.Context(), r.PathValue("module"), r.PathValue("version"), deps, actorOf(r))
	srv.replyStatus(w, r, http.StatusCreated, ext, err)
}

func (srv *Server) maturity(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Maturity string `json:"maturity"`
	}
	if err := decodeBody(r, &req); err != nil {
		srv.refuse(w, r, err)
		return
	}
	level, err := catalog.ParseMaturity(req.Maturity)
	if err != nil {
		srv.refuse(w, r, wrapKind(KindInvalid, err, "maturity"))
		return
	}
	err = srv.store.SetMaturity(r.Context(), r.PathValue("module"), r.PathValue("version"), level, actorOf(r))
	srv.reply(w, r, map[string]string{"maturity": level.String()}, err)
}

func (srv *Server) advisory(w http.ResponseWriter, r *http.Request) {
	var adv catalog.Advisory
	if err := decodeBody(r, &adv); err != nil {
		srv.refuse(w, r, err)
		return
	}
	err := srv.store.AddAdvisory(r.Context(), r.PathValue("module"), r.PathValue("version"), adv, actorOf(r))
	srv.replyStatus(w, r, http.StatusCreated, adv, err)
}

func (srv *Server) defaultUpgrade(w http.ResponseWriter, r *http.Request) {
	var req struct {
		DefaultUpgrade *bool `json:"default_upgrade"`
	}
	if err := decodeBody(r, &req); err != nil {
		srv.refuse(w, r, err)
		return
	}
	if req.DefaultUpgrade == nil {
		srv.refuse(w, r, errorf(KindInvalid, `body needs {"default_upgrade": true|false}`))
		return
	}
	err := srv.store.SetDefaultUpgrade(r.Context(), r.PathValue("module"), *req.DefaultUpgrade, actorOf(r))
	srv.reply(w, r, map[string]bool{"default_upgrade": *req.DefaultUpgrade}, err)
}

// ParseDepends parses compact dependency strings such as "core>=2.50.21,<3.1".
func ParseDepends(in []string) ([]catalog.Dependency, error) {
	if len(in) == 0 {
		return nil, errorf(KindInvalid, "no dependencies given: pass --depends 'module>=version' once per dependency")
	}
	out := make([]catalog.Dependency, 0, len(in))
	for _, s := range in {
		d, err := catalog.ParseDependency(s)
		if err != nil {
			return nil, &Error{Kind: KindInvalid, Msg: err.Error()} // it names the dependency already
		}
		out = append(out, d)
	}
	return out, nil
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return wrapKind(KindInvalid, err, "request body is not the expected JSON")
	}
	return nil
}

func (srv *Server) reply(w http.ResponseWriter, r *http.Request, v any, err error) {
	srv.replyStatus(w, r, http.StatusOK, v, err)
}

func (srv *Server) replyStatus(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err == nil {
		writeJSON(w, status, v)
		return
	}
	code := statusOf(KindOf(err))
	msg := err.Error()
	if code == http.StatusInternalServerError {
		srv.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		msg = "internal error; see the repository server's log"
	}
	writeError(w, code, msg, "")
}

func statusOf(k Kind) int {
	switch k {
	case KindInvalid:
		return http.StatusBadRequest
	case KindConflict:
		return http.StatusConflict
	case KindNotFound:
		return http.StatusNotFound
	case KindUnauthorized:
		return http.StatusUnauthorized
	case KindForbidden:
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// APIError is the JSON body of every error answer.
type APIError struct {
	Error  string `json:"error"`
	Detail string `json:"detail,omitempty"`
}

func writeError(w http.ResponseWriter, code int, msg, detail string) {
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="upkeep-repo"`)
	}
	writeJSON(w, code, APIError{Error: msg, Detail: detail})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintln(w)
	}
}
