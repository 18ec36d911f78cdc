package repo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/catalog"
)

// Client drives a remote repository's write API with a token.
type Client struct {
	BaseURL    string
	Token      string
	Repository string       // Publish into this private repository only
	HTTP       *http.Client // nil: a client with a 5-minute timeout
}

func (c *Client) do(ctx context.Context, method, path string, body io.Reader, ctype string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+path, body)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w (is 'upkeep-repo serve' running there?)", method, c.BaseURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var e APIError
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = fmt.Sprintf("%s %s: HTTP %d", method, path, resp.StatusCode)
		}
		return &Error{Kind: kindOfStatus(resp.StatusCode), Msg: e.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decode answer of %s %s: %w", method, path, err)
	}
	return nil
}

func kindOfStatus(code int) Kind {
	for _, k := range []Kind{KindInvalid, KindConflict, KindNotFound, KindUnauthorized, KindForbidden} {
		if statusOf(k) == code {
			return k
		}
	}
	return KindInternal
}

func (c *Client) sendJSON(ctx context.Context, method, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	return c.do(ctx, method, path, bytes.NewReader(body), "application/json", out)
}

func modulePath(module, version string) string {
	return "/api/v1/modules/" + url.PathEscape(module) + "/versions/" + url.PathEscape(version)
}

// Publish uploads a module archive.
func (c *Client) Publish(ctx context.Context, data []byte) (*Published, error) {
	var out Published
	path := "/api/v1/publish"
	if c.Repository != "" {
		path += "?repository=" + url.QueryEscape(c.Repository)
	}
	return &out, c.do(ctx, http.MethodPost, path, bytes.NewReader(data), "application/zip", &out)
}

// Extend widens a published version's dependencies (admin token).
func (c *Client) Extend(ctx context.Context, module, version string, deps []catalog.Dependency) (*Extended, error) {
	var out Extended
	return &out, c.sendJSON(ctx, http.MethodPost, modulePath(module, version)+"/extend", extendRequest{Depends: splitDeps(deps)}, &out)
}

// SetMaturity changes a version's maturity.
func (c *Client) SetMaturity(ctx context.Context, module, version string, level catalog.Maturity) error {
	return c.sendJSON(ctx, http.MethodPut, modulePath(module, version)+"/maturity", map[string]string{"maturity": level.String()}, nil)
}

// AddAdvisory adds a security advisory to a published version.
func (c *Client) AddAdvisory(ctx context.Context, module, version string, adv catalog.Advisory) error {
	return c.sendJSON(ctx, http.MethodPost, modulePath(module, version)+"/advisories", adv, nil)
}

// SetDefaultUpgrade sets a module's default-upgrade flag (admin token).
func (c *Client) SetDefaultUpgrade(ctx context.Context, module string, on bool) error {
	return c.sendJSON(ctx, http.MethodPut, "/api/v1/modules/"+url.PathEscape(module)+"/default-upgrade", map[string]bool{"default_upgrade": on}, nil)
}

// List returns the published modules.
func (c *Client) List(ctx context.Context, repository string) ([]ModuleInfo, error) {
	var out []ModuleInfo
	return out, c.do(ctx, http.MethodGet, "/api/v1/modules?repository="+url.QueryEscape(repository), nil, "", &out)
}

// Log returns the audit log (admin token).
func (c *Client) Log(ctx context.Context, f LogFilter) ([]LogEntry, error) {
	var out []LogEntry
	q := url.Values{"module": {f.Module}}
	if f.Refused {
		q.Set("refused", "true")
	}
	return out, c.do(ctx, http.MethodGet, "/api/v1/log?"+q.Encode(), nil, "", &out)
}
