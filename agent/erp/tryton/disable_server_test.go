package tryton

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp"
)

// TestDisableOnTheServer proves on the real trytond, over SQLite and
// PostgreSQL, what disabling a module means in Tryton 6.0 (deactivation):
// before, its model answers over JSON-RPC and its menu is visible; after,
// ir_module says 'not activated', the model is unknown to the server, the
// menu is gone and the rows are still in the table; activating it again
// brings the model, the menu and the same rows back.
func TestDisableOnTheServer(t *testing.T) {
	t.Parallel()
	for _, backend := range []string{backendSQLite, backendPostgres} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			w := newWriterInstance(t, backend).w
			if err := w.ExecSQL(ctxT(t), "INSERT INTO upkeep_probe (name) VALUES ('kept 1'), ('kept 2')"); err != nil {
				t.Fatal(err)
			}
			onServer(t, w, func(s rpcSession) {
				if got := s.probeNames(t); got != "kept 1, kept 2" {
					t.Errorf("before: model.upkeep.probe answers %q, want both rows", got)
				}
				if n := s.menus(t); n != 1 {
					t.Errorf("before: %d Probes menus visible, want 1", n)
				}
			})
			update(t, w, erp.UpdateRequest{Disable: []string{probeModule}})
			if _, err := erp.Check(ctxT(t), w, erp.Expected{Disabled: []string{probeModule}, Kept: []string{"ir", "res", "party", "country"}}); err != nil {
				t.Errorf("read-back after the disable: %v", err)
			}
			if v := queryValue(t, w, "SELECT state FROM ir_module WHERE name = 'upkeep_probe'"); v != "not activated" {
				t.Errorf("ir_module state = %q after the disable, want 'not activated'", v)
			}
			onServer(t, w, func(s rpcSession) {
				err := s.call("model.upkeep.probe.search_read", []any{[]any{}, 0, nil, nil, []string{"name"}, map[string]any{}}, nil)
				if err == nil {
					t.Error("after the disable the server still answers model.upkeep.probe")
				} else {
					t.Logf("after the disable, model.upkeep.probe.search_read: %v", err)
				}
				if n := s.menus(t); n != 0 {
					t.Errorf("after the disable %d Probes menus are visible, want none", n)
				}
			})
			if v := queryValue(t, w, "SELECT count(*) FROM upkeep_probe"); v != "2" {
				t.Errorf("after the disable the table holds %s rows, want 2 (data kept)", v)
			}
			update(t, w, erp.UpdateRequest{Install: []string{probeModule}})
			onServer(t, w, func(s rpcSession) {
				if got := s.probeNames(t); got != "kept 1, kept 2" {
					t.Errorf("enabled again: model.upkeep.probe answers %q, want both rows back", got)
				}
				if n := s.menus(t); n != 1 {
					t.Errorf("enabled again: %d Probes menus visible, want 1", n)
				}
			})
		})
	}
}

func update(t *testing.T, w *Writer, req erp.UpdateRequest) {
	t.Helper()
	var log bytes.Buffer
	if err := w.Update(ctxT(t), req, &log); err != nil {
		t.Fatalf("Update %+v: %v\n%s", req, err, log.String())
	}
}

// rpcSession is a logged-in JSON-RPC session on the writer's server.
type rpcSession struct {
	w    *Writer
	auth string
}

// onServer starts the server, waits until it is healthy, logs in as the
// admin, runs f, logs out and stops the server.
func onServer(t *testing.T, w *Writer, f func(rpcSession)) {
	t.Helper()
	if err := w.Start(ctxT(t)); err != nil {
		t.Fatalf("Start: %v", err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for err := w.Health(ctxT(t)); err != nil; err = w.Health(ctxT(t)) {
		if time.Now().After(deadline) {
			t.Fatalf("the server is not healthy: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	pw, err := readPassword(w.cfg.PasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	var login []json.RawMessage
	if err := w.call(ctxT(t), w.cfg.Database, "", "common.db.login", []any{w.cfg.User, map[string]string{"password": pw}}, &login); err != nil || len(login) != 2 {
		t.Fatalf("login: %v (%s)", err, login)
	}
	var uid int64
	var session string
	if json.Unmarshal(login[0], &uid) != nil || json.Unmarshal(login[1], &session) != nil {
		t.Fatalf("login answered %s", login)
	}
	s := rpcSession{w: w, auth: "Session " + base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%s:%d:%s", w.cfg.User, uid, session))}
	f(s)
	w.logout(context.Background(), s.auth)
	if err := w.Stop(ctxT(t)); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}

func (s rpcSession) call(method string, params []any, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return s.w.call(ctx, s.w.cfg.Database, s.auth, method, params, out)
}

// probeNames reads the probe model's rows through the server.
func (s rpcSession) probeNames(t *testing.T) string {
	t.Helper()
	var rows []struct {
		Name string `json:"name"`
	}
	if err := s.call("model.upkeep.probe.search_read", []any{[]any{}, 0, nil, []any{[]string{"name", "ASC"}}, []string{"name"}, map[string]any{}}, &rows); err != nil {
		t.Fatalf("model.upkeep.probe.search_read: %v", err)
	}
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}

// menus counts the menus named Probes the server shows the admin.
func (s rpcSession) menus(t *testing.T) int {
	t.Helper()
	var ids []int64
	if err := s.call("model.ir.ui.menu.search", []any{[]any{[]any{"name", "=", "Probes"}}, 0, nil, nil, map[string]any{}}, &ids); err != nil {
		t.Fatalf("model.ir.ui.menu.search: %v", err)
	}
	return len(ids)
}
