// Package api is the agent's local API: JSON wire types, an HTTP server on a unix socket or named pipe that identifies every caller by its peer credentials, and a client with typed errors.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/platform"
)

// Options tune a Server.
type Options struct {
	// AdminGroup names the group whose members may act as root does
	// (api.admin_group); empty: only root may act.
	AdminGroup string
	Log        *slog.Logger // default: discard
}

// Server serves the local API over a Backend. Every connection is
// identified by its peer credentials; every handler checks permission,
// then the method, then the body, then calls the backend.
type Server struct {
	backend  Backend
	group    string // the admin group's name, for messages
	adminGID string // its gid (a SID on Windows)
	log      *slog.Logger
	mux      *http.ServeMux
	srv      *http.Server
	closing  context.Context // done once Shutdown starts: ends the streams
}

// NewServer returns a server over b. It fails when the admin group does not exist.
func NewServer(b Backend, o Options) (*Server, error) {
	s := &Server{backend: b, group: o.AdminGroup, log: o.Log, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if o.AdminGroup != "" {
		gid, err := lookupGroup(o.AdminGroup)
		if err != nil {
			return nil, fmt.Errorf("api.admin_group = %q: %w: create the group, or name an existing one", o.AdminGroup, err)
		}
		s.adminGID = gid
	}
	for _, rt := range routes {
		s.mux.Handle(rt.path, s.handle(rt))
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, &NotFoundError{Message: fmt.Sprintf("no such route: %s %s (see docs/ARCHITECTURE.md, agent/api)", r.Method, r.URL.Path)})
	})
	closing, stop := context.WithCancel(context.Background())
	s.closing = closing
	s.srv = &http.Server{Handler: s, ConnContext: s.connContext, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	s.srv.RegisterOnShutdown(stop)
	return s, nil
}

// lookupGroup returns the gid (SID on Windows) of a group name or number.
func lookupGroup(name string) (string, error) {
	if _, err := strconv.Atoi(name); err == nil {
		return name, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return "", err
	}
	return g.Gid, nil
}

// Serve answers requests on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	err := s.srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown ends the streams, stops accepting, and waits for the requests
// in progress until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.srv.Shutdown(ctx) }

// ServeHTTP refuses browser requests, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Origin") != "" || r.Header.Get("Sec-Fetch-Site") != "" {
		s.fail(w, r, &AccessDeniedError{Message: "browser requests are refused: the local API is for upkeep's command line and tray"})
		return
	}
	s.mux.ServeHTTP(w, r)
}

type callerKey struct{}

type identity struct {
	caller Caller
	err    error
}

// connContext identifies the peer once per connection.
func (s *Server) connContext(ctx context.Context, c net.Conn) context.Context {
	if pc, ok := c.(*pipeConn); ok {
		return context.WithValue(ctx, callerKey{}, identity{caller: pc.caller})
	}
	p, err := platform.PeerCredentials(c)
	if err != nil {
		s.log.Warn("cannot identify a local API caller", "err", err)
		return context.WithValue(ctx, callerKey{}, identity{err: err})
	}
	cl := Caller{UID: p.UID, PID: p.PID, User: p.UID, CanAct: p.Root || (s.adminGID != "" && p.InGroup(s.adminGID))}
	if u, err := user.LookupId(p.UID); err == nil {
		cl.User = u.Username
	}
	return context.WithValue(ctx, callerKey{}, identity{caller: cl})
}

func callerOf(ctx context.Context) (Caller, error) {
	id, ok := ctx.Value(callerKey{}).(identity)
	if !ok || id.err != nil {
		return Caller{}, &AccessDeniedError{Message: fmt.Sprintf("the agent cannot tell who you are (%v): connect through upkeep's client on this machine", id.err)}
	}
	return id.caller, nil
}

// handle checks permission to use the API at all, the method, the right
// to act, then runs the method's handler.
func (s *Server) handle(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := callerOf(r.Context())
		if err == nil {
			c.Client, err = clientName(r)
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		m, ok := rt.method(r.Method)
		if !ok {
			w.Header().Set("Allow", rt.allow())
			writeJSON(w, http.StatusMethodNotAllowed, wireError{Error: fmt.Sprintf("%s takes %s, not %s", rt.path, rt.allow(), r.Method), Code: codeBadRequest})
			return
		}
		if m.act && !c.CanAct {
			s.fail(w, r, s.denied(c))
			return
		}
		if err := m.serve(s, w, r, c); err != nil {
			s.fail(w, r, err)
		}
	}
}

// ClientHeader is the header a client names itself in (Client.Name).
const ClientHeader = "X-Upkeep-Client"

// maxClientName bounds a client's name.
const maxClientName = 32

// clientName reads the name the client gives itself: empty, or up to 32
// lowercase letters, digits, '-' and '.'.
func clientName(r *http.Request) (string, error) {
	name := r.Header.Get(ClientHeader)
	if !validClientName(name) {
		return "", &BadRequestError{Message: fmt.Sprintf("%s: %q: name the program in at most %d lowercase letters, digits, '-' or '.' (e.g. tray), or send no such header",
			ClientHeader, name, maxClientName)}
	}
	return name, nil
}

func validClientName(name string) bool {
	if len(name) > maxClientName {
		return false
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '.' {
			return false
		}
	}
	return true
}

func (s *Server) denied(c Caller) error {
	fix := "run the command as root (sudo), or set api.admin_group in the agent's configuration and join that group"
	if s.group != "" {
		fix = fmt.Sprintf("run the command as root (sudo), or ask an administrator to add %s to the group %q", c.User, s.group)
	}
	return &AccessDeniedError{Message: fmt.Sprintf("%s may only read here: %s", c.User, fix)}
}

// fail writes err as the wire error with its status.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, we := encodeError(err)
	if status >= 500 && status != http.StatusNotImplemented {
		s.log.Error("local API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, we)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // the client going away is not our error
}

// maxBody caps a request body.
const maxBody = 1 << 20

// readJSON decodes the request body strictly into v; an empty body is
// allowed when optional.
func readJSON(r *http.Request, v any, optional bool) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if errors.Is(err, io.EOF) && optional {
		return nil
	}
	if err != nil {
		return &BadRequestError{Message: fmt.Sprintf("request body: %v: send one JSON object as documented on the api package's types", err)}
	}
	if dec.More() {
		return &BadRequestError{Message: "request body: more than one JSON value: send one object"}
	}
	return nil
}

// queryInt reads an optional non-negative integer query parameter.
func queryInt(r *http.Request, key string) (int64, error) {
	v := r.URL.Query().Get(key)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, &BadRequestError{Message: fmt.Sprintf("%s=%q: give a non-negative number", key, v)}
	}
	return n, nil
}

// queryList reads a comma-separated (or repeated) query parameter.
func queryList(r *http.Request, key string) []string {
	var out []string
	for _, v := range r.URL.Query()[key] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}
