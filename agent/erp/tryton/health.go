package tryton

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// maxRPCBody bounds a JSON-RPC answer the health check reads.
const maxRPCBody = 4 << 20

// Health implements erp.Writer with Tryton's JSON-RPC (notes §4):
// common.server.version on the root proves the process answers; then, with
// erp.tryton.user and password_file, common.db.login on the database and a
// read of the user's record (model.res.user.read) prove that the module
// pool loads and that res_user's columns match the code; then a logout.
func (w *Writer) Health(ctx context.Context) error {
	var version string
	if err := w.call(ctx, "", "", "common.server.version", []any{}, &version); err != nil {
		return err
	}
	if w.cfg.User == "" {
		return nil
	}
	pw, err := readPassword(w.cfg.PasswordFile)
	if err != nil {
		return err
	}
	var login []json.RawMessage
	if err := w.call(ctx, w.cfg.Database, "", "common.db.login", []any{w.cfg.User, map[string]string{"password": pw}}, &login); err != nil {
		return fmt.Errorf("%w (trytond %s answers, but the database does not load or refuses the login)", err, version)
	}
	var uid int64
	var session string
	if len(login) != 2 || json.Unmarshal(login[0], &uid) != nil || json.Unmarshal(login[1], &session) != nil {
		return fmt.Errorf("tryton: common.db.login answered %s, not [user id, session]: is %s a Tryton 6.0 server?", login, w.url)
	}
	auth := "Session " + base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%s:%d:%s", w.cfg.User, uid, session)))
	defer w.logout(ctx, auth)
	var users []struct {
		ID    int64  `json:"id"`
		Login string `json:"login"`
	}
	if err := w.call(ctx, w.cfg.Database, auth, "model.res.user.read", []any{[]int64{uid}, []string{"login", "name"}, map[string]any{}}, &users); err != nil {
		return fmt.Errorf("%w (the login worked: the code and the database schema disagree)", err)
	}
	if len(users) != 1 || users[0].ID != uid || users[0].Login != w.cfg.User {
		return fmt.Errorf("tryton: model.res.user.read of user %d answered %+v, not the user %s", uid, users, w.cfg.User)
	}
	return nil
}

// logout ends the health check's session, even when ctx has ended; its
// failure changes nothing (the session expires on its own).
func (w *Writer) logout(ctx context.Context, auth string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = w.call(ctx, w.cfg.Database, auth, "common.db.logout", []any{}, nil)
}

func readPassword(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("tryton: read erp.tryton.password_file: %w: create it with the password of erp.tryton.user on its first line (mode 0600)", err)
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	pw = strings.TrimRight(pw, "\r")
	if pw == "" {
		return "", fmt.Errorf("tryton: erp.tryton.password_file %s is empty: put the password of erp.tryton.user on its first line", file)
	}
	return pw, nil
}

// rpcAnswer is a JSON-RPC answer; Tryton reports errors with HTTP 200.
type rpcAnswer struct {
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

// call posts one JSON-RPC request to the root (db "") or to /db/, and
// decodes the result into out (when not nil).
func (w *Writer) call(ctx context.Context, db, auth, method string, params []any, out any) error {
	body, err := json.Marshal(map[string]any{"id": 1, "method": method, "params": params})
	if err != nil {
		return fmt.Errorf("tryton: encode %s: %w", method, err)
	}
	u := w.url
	if db != "" {
		u += db + "/"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("tryton: %s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json") // without it trytond answers 500
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := w.cfg.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("tryton: %s at %s: %w; is the server running, and is erp.tryton.url (or [web] listen) right?", method, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxRPCBody))
	if err != nil {
		return fmt.Errorf("tryton: %s at %s: read the answer: %w", method, u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return statusError(method, u, resp.StatusCode)
	}
	return decodeAnswer(method, u, data, out)
}

// decodeAnswer reads a JSON-RPC answer: its error, or its result into out.
func decodeAnswer(method, u string, data []byte, out any) error {
	var a rpcAnswer
	if err := json.Unmarshal(data, &a); err != nil {
		return fmt.Errorf("tryton: %s at %s answered something that is not JSON-RPC (%.200q): %w", method, u, data, err)
	}
	if len(a.Error) > 0 && string(a.Error) != "null" {
		return fmt.Errorf("tryton: %s at %s failed: %s", method, u, rpcErrorText(a.Error))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(a.Result, out); err != nil {
		return fmt.Errorf("tryton: %s at %s: unexpected result %.200s: %w", method, u, a.Result, err)
	}
	return nil
}

func statusError(method, u string, code int) error {
	hint := ""
	switch code {
	case http.StatusUnauthorized:
		hint = ": the login was refused: check erp.tryton.user and password_file"
	case http.StatusTooManyRequests:
		hint = ": too many failed logins ([session] max_attempt): fix erp.tryton.user and password_file, then wait"
	case http.StatusNotFound:
		hint = ": the database cannot be opened: check erp.tryton.database"
	case http.StatusForbidden:
		hint = ": forbidden"
	}
	return fmt.Errorf("tryton: %s at %s: HTTP %d%s", method, u, code, hint)
}

// rpcErrorText renders Tryton's error array, e.g. ["no such column: a.x", ""]
// or ["UserError", ["message", "description", …]], on one line.
func rpcErrorText(raw json.RawMessage) string {
	var parts []any
	if err := json.Unmarshal(raw, &parts); err != nil {
		return string(raw)
	}
	var out []string
	var flatten func(v any)
	flatten = func(v any) {
		switch v := v.(type) {
		case string:
			if s := strings.TrimSpace(v); s != "" {
				out = append(out, s)
			}
		case []any:
			for _, x := range v {
				flatten(x)
			}
		case nil:
		default:
			b, _ := json.Marshal(v)
			out = append(out, string(b))
		}
	}
	flatten(parts)
	if len(out) == 0 {
		return string(raw)
	}
	return strings.Join(out, ": ")
}
