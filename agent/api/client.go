package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/upkeep-erp/upkeep/platform"
)

// DefaultPath is where the agent listens unless its configuration's
// api.socket says otherwise.
func DefaultPath() string { return platform.DefaultLocalPath() }

// Client talks to the local agent. The zero value uses DefaultPath. Errors
// are typed: *UnreachableError (no agent), *AccessDeniedError,
// *NotFoundError, *ConflictError, *BadRequestError, *NotAvailableError,
// *NotRehearsedError, *ScanError, else *Error. A Client must not be copied
// after first use.
type Client struct {
	Path string // the socket (named pipe on Windows); empty: DefaultPath()
	// Name is the program the client is ("tray", "cli"), sent as the
	// X-Upkeep-Client header: runs it starts record "tray: alice". Empty:
	// the runs record the user alone.
	Name string

	dial func(context.Context) (net.Conn, error) // set: connect in this process (InProcess)
	once sync.Once
	hc   *http.Client
}

func (c *Client) path() string {
	if c.Path != "" {
		return c.Path
	}
	return DefaultPath()
}

func (c *Client) http() *http.Client {
	c.once.Do(func() {
		path := c.path()
		c.hc = &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				if c.dial != nil {
					return c.dial(ctx)
				}
				conn, err := platform.DialLocal(ctx, path)
				if errors.Is(err, fs.ErrPermission) {
					return nil, &AccessDeniedError{Message: fmt.Sprintf("you may not open %s (%v): ask an administrator to add you to the agent's api.group", path, err)}
				}
				if err != nil {
					return nil, &UnreachableError{Path: path, Err: err}
				}
				return conn, nil
			},
			MaxIdleConns: 2,
		}}
	})
	return c.hc
}

// send makes a request and returns the response when its status is 2xx;
// otherwise it returns the typed error the agent sent.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode the request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	u := "http://upkeep-agent" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("build the request: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Name != "" {
		req.Header.Set(ClientHeader, c.Name)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return nil, unwrapTransport(err, c.path())
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	var we wireError
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&we); err != nil {
		return nil, &Error{Status: resp.StatusCode, Message: fmt.Sprintf("the agent answered %s", resp.Status)}
	}
	return nil, decodeError(resp.StatusCode, we)
}

// unwrapTransport returns the typed error inside an http.Client error.
func unwrapTransport(err error, path string) error {
	var (
		ad *AccessDeniedError
		ue *UnreachableError
	)
	switch {
	case errors.As(err, &ad):
		return ad
	case errors.As(err, &ue):
		return ue
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return &UnreachableError{Path: path, Err: err}
}

// call makes a request and decodes the JSON answer into out.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	resp, err := c.send(ctx, method, path, query, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return &Error{Status: resp.StatusCode, Message: fmt.Sprintf("read the agent's answer to %s %s: %v", method, path, err)}
	}
	return nil
}

// result is call for a value of type T.
func result[T any](ctx context.Context, c *Client, method, path string, query url.Values, in any) (T, error) {
	var out T
	err := c.call(ctx, method, path, query, in, &out)
	return out, err
}

// Status is GET /v1/status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	return result[*Status](ctx, c, http.MethodGet, "/v1/status", nil, nil)
}

// Report is GET /v1/report: the last saved scan.
func (c *Client) Report(ctx context.Context) (*SavedReport, error) {
	return result[*SavedReport](ctx, c, http.MethodGet, "/v1/report", nil, nil)
}

// Scan is POST /v1/scan: scan now.
func (c *Client) Scan(ctx context.Context, req ScanRequest) (*SavedReport, error) {
	return result[*SavedReport](ctx, c, http.MethodPost, "/v1/scan", nil, req)
}

// Plan is GET /v1/plan.
func (c *Client) Plan(ctx context.Context, req PlanRequest) (*Plan, error) {
	q := url.Values{}
	if len(req.Install) > 0 {
		q.Set("install", strings.Join(req.Install, ","))
	}
	if len(req.IncludeUpgrades) > 0 {
		q.Set("include_upgrades", strings.Join(req.IncludeUpgrades, ","))
	}
	if req.DisableBlockers {
		q.Set("disable_blockers", "true")
	}
	if req.PatchesOnly {
		q.Set("patches_only", "true")
	}
	if req.UpdateAll {
		q.Set("update_all", "true")
	}
	if len(req.Modules) > 0 {
		q.Set("modules", strings.Join(req.Modules, ","))
	}
	return result[*Plan](ctx, c, http.MethodGet, "/v1/plan", q, nil)
}

// Apply is POST /v1/apply: start applying; the run goes on without the caller.
func (c *Client) Apply(ctx context.Context, req RunRequest) (*Run, error) {
	return result[*Run](ctx, c, http.MethodPost, "/v1/apply", nil, req)
}

// ModuleState is POST /v1/module-state.
func (c *Client) ModuleState(ctx context.Context, req ModuleStateRequest) (*ModuleStateAnswer, error) {
	return result[*ModuleStateAnswer](ctx, c, http.MethodPost, "/v1/module-state", nil, req)
}

// Rehearse is POST /v1/rehearse.
func (c *Client) Rehearse(ctx context.Context, req RunRequest) (*Run, error) {
	return result[*Run](ctx, c, http.MethodPost, "/v1/rehearse", nil, req)
}

// Runs is GET /v1/runs (limit 0: the agent's default).
func (c *Client) Runs(ctx context.Context, limit int) ([]Run, error) {
	return result[[]Run](ctx, c, http.MethodGet, "/v1/runs", limitQuery(limit), nil)
}

// Run is GET /v1/runs/{id}.
func (c *Client) Run(ctx context.Context, id string) (*Run, error) {
	return result[*Run](ctx, c, http.MethodGet, "/v1/runs/"+url.PathEscape(id), nil, nil)
}

// Cancel is POST /v1/runs/{id}/cancel.
func (c *Client) Cancel(ctx context.Context, id string) (*Run, error) {
	return result[*Run](ctx, c, http.MethodPost, "/v1/runs/"+url.PathEscape(id)+"/cancel", nil, nil)
}

// Events is GET /v1/events: the history.
func (c *Client) Events(ctx context.Context, q EventQuery) ([]Event, error) {
	v := limitQuery(q.Limit)
	if q.Since > 0 {
		v.Set("since", strconv.FormatInt(q.Since, 10))
	}
	return result[[]Event](ctx, c, http.MethodGet, "/v1/events", v, nil)
}

// Overrides is GET /v1/overrides.
func (c *Client) Overrides(ctx context.Context) (*Overrides, error) {
	return result[*Overrides](ctx, c, http.MethodGet, "/v1/overrides", nil, nil)
}

// SetOverrides is PUT /v1/overrides.
func (c *Client) SetOverrides(ctx context.Context, ch OverridesChange) (*Overrides, error) {
	return result[*Overrides](ctx, c, http.MethodPut, "/v1/overrides", nil, ch)
}

// Holds is GET /v1/holds.
func (c *Client) Holds(ctx context.Context) ([]Hold, error) {
	return result[[]Hold](ctx, c, http.MethodGet, "/v1/holds", nil, nil)
}

// SetHolds is PUT /v1/holds.
func (c *Client) SetHolds(ctx context.Context, ch HoldsChange) ([]Hold, error) {
	return result[[]Hold](ctx, c, http.MethodPut, "/v1/holds", nil, ch)
}

// Installed is GET /v1/installed.
func (c *Client) Installed(ctx context.Context) ([]InstalledModule, error) {
	return result[[]InstalledModule](ctx, c, http.MethodGet, "/v1/installed", nil, nil)
}

// Settings is GET /v1/settings.
func (c *Client) Settings(ctx context.Context) (*Settings, error) {
	return result[*Settings](ctx, c, http.MethodGet, "/v1/settings", nil, nil)
}

// SetSettings is PUT /v1/settings.
func (c *Client) SetSettings(ctx context.Context, up SettingsUpdate) (*Settings, error) {
	return result[*Settings](ctx, c, http.MethodPut, "/v1/settings", nil, up)
}

// Reload is POST /v1/reload: the agent reads its configuration file again.
func (c *Client) Reload(ctx context.Context) (*Reloaded, error) {
	return result[*Reloaded](ctx, c, http.MethodPost, "/v1/reload", nil, nil)
}

func limitQuery(limit int) url.Values {
	v := url.Values{}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	return v
}
