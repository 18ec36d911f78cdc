package odoo

import (
	"bufio"
	"bytes"
	"context"
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

// rpcTimeout bounds one JSON-RPC call of the health check.
const rpcTimeout = 30 * time.Second

// Health checks the running server the way Odoo's clients see it:
// /web/webclient/version_info proves the process answers; then, with
// erp.odoo.login and password_file, a login on the database (common.login)
// and a search_read of ir.module.module prove that the registry loads. A
// module left marked "to …" fails it too.
func (a *Adapter) Health(ctx context.Context) error {
	var info struct {
		ServerSerie string `json:"server_serie"`
	}
	if err := a.call(ctx, "web/webclient/version_info", map[string]any{}, &info); err != nil {
		return err
	}
	if info.ServerSerie == "" {
		return fmt.Errorf("odoo: %sweb/webclient/version_info answered without server_serie: is it an Odoo server?", a.url)
	}
	if a.cfg.Login == "" {
		return a.consistentNow(ctx)
	}
	return a.deepHealth(ctx, info.ServerSerie)
}

// deepHealth logs in and reads ir.module.module through JSON-RPC.
func (a *Adapter) deepHealth(ctx context.Context, serie string) error {
	pw, err := readPassword(a.cfg.PasswordFile)
	if err != nil {
		return err
	}
	var uid any
	login := map[string]any{"service": "common", "method": "login", "args": []any{a.cfg.Database, a.cfg.Login, pw}}
	if err := a.call(ctx, "jsonrpc", login, &uid); err != nil {
		return fmt.Errorf("%w (Odoo %s answers, but the database does not load)", err, serie)
	}
	if n, ok := uid.(float64); !ok || n <= 0 {
		return fmt.Errorf("odoo: the login of %s on %s was refused (common.login answered %v): check erp.odoo.login and password_file", a.cfg.Login, a.cfg.Database, uid)
	}
	var mods []struct {
		Name  string `json:"name"`
		State string `json:"state"`
	}
	read := map[string]any{"service": "object", "method": "execute_kw", "args": []any{a.cfg.Database, uid, pw, "ir.module.module", "search_read",
		[]any{[]any{[]any{"name", "=", Core}}}, map[string]any{"fields": []string{"name", "state"}}}}
	if err := a.call(ctx, "jsonrpc", read, &mods); err != nil {
		return fmt.Errorf("%w (the login worked: the registry does not load)", err)
	}
	if len(mods) != 1 || mods[0].State != "installed" {
		return fmt.Errorf("odoo: search_read of ir.module.module for base answered %+v, not base installed", mods)
	}
	return a.consistentNow(ctx)
}

// consistentNow fails when a module is left marked "to …".
func (a *Adapter) consistentNow(ctx context.Context) error {
	rows, err := a.rows(ctx)
	if err != nil {
		return err
	}
	return a.consistent(rows)
}

// rpcError is Odoo's JSON-RPC error object.
type rpcError struct {
	Message string `json:"message"`
	Data    struct {
		Name    string `json:"name"`
		Message string `json:"message"`
	} `json:"data"`
}

// call posts one JSON-RPC "call" with params to path and decodes its result.
func (a *Adapter) call(ctx context.Context, path string, params any, result any) error {
	ctx, cancel := context.WithTimeout(ctx, rpcTimeout)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": "call", "params": params, "id": 1})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.url+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("odoo: erp.odoo.url %q: %w", a.url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("odoo: the server at %s does not answer: %w", a.url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxRPCBody))
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("odoo: POST %s%s: HTTP %d %v", a.url, path, resp.StatusCode, err)
	}
	var out struct {
		Result json.RawMessage `json:"result"`
		Error  *rpcError       `json:"error"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return fmt.Errorf("odoo: POST %s%s answered no JSON-RPC (%w): is it an Odoo server?", a.url, path, err)
	}
	if out.Error != nil {
		return fmt.Errorf("odoo: POST %s%s: %s: %s %s", a.url, path, out.Error.Message, out.Error.Data.Name, firstLine(out.Error.Data.Message))
	}
	if err := json.Unmarshal(out.Result, result); err != nil {
		return fmt.Errorf("odoo: POST %s%s: unexpected result %.200s: %w", a.url, path, out.Result, err)
	}
	return nil
}

// readPassword reads the first line of erp.odoo.password_file.
func readPassword(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("odoo: erp.odoo.password_file: %w", err)
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("odoo: read erp.odoo.password_file: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// firstLine is s up to its first newline.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
