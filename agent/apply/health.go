package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/config"
)

// Defaults for zero timeouts in Runner.Config (Load fills them in too).
const (
	defaultScriptTimeout   = 10 * time.Minute
	defaultUpdateTimeout   = 2 * time.Hour
	defaultHealthTimeout   = 2 * time.Minute
	preflightHealthTimeout = 30 * time.Second
	healthPoll             = 200 * time.Millisecond
	healthAttempt          = 10 * time.Second // one attempt of one check
)

func orDefault(d config.Duration, def time.Duration) time.Duration {
	if d.Duration > 0 {
		return d.Duration
	}
	return def
}

// waitHealthy polls the checks until all pass or Config.HealthTimeout ends.
func (r *Runner) waitHealthy(ctx context.Context, out io.Writer) error {
	limit := orDefault(r.Config.HealthTimeout, defaultHealthTimeout)
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	start, last := r.now(), ""
	var lastErr error
	for {
		err := r.healthy(ctx)
		if err == nil {
			fmt.Fprintf(out, "healthy after %s\n", r.now().Sub(start).Round(time.Millisecond))
			return nil
		}
		if ctx.Err() != nil && lastErr != nil {
			err = lastErr // the deadline cut this attempt short: report what the last whole attempt found
		}
		lastErr = err
		if msg := err.Error(); msg != last {
			fmt.Fprintf(out, "not yet healthy: %s\n", msg)
			last = msg
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the ERP is not healthy %s after the start (apply.health_timeout): %w", limit, err)
		case <-time.After(healthPoll):
		}
	}
}

// healthy runs the adapter's check, then every configured one, once.
func (r *Runner) healthy(ctx context.Context) error {
	actx, cancel := context.WithTimeout(ctx, healthAttempt)
	err := r.Writer.Health(actx)
	cancel()
	if err != nil {
		return fmt.Errorf("the %s adapter's health check: %w", r.Writer.Kind(), err)
	}
	for _, c := range r.Health {
		if err := r.check(ctx, c); err != nil {
			return fmt.Errorf("health check %s: %w", checkName(c), err)
		}
	}
	return nil
}

func checkName(c config.HealthCheck) string {
	switch {
	case c.Name != "":
		return c.Name
	case c.URL != "":
		return c.URL
	}
	return c.SQL
}

// check runs one configured check: an HTTP URL answering its status, or a
// SQL query returning its value.
func (r *Runner) check(ctx context.Context, c config.HealthCheck) error {
	ctx, cancel := context.WithTimeout(ctx, healthAttempt)
	defer cancel()
	switch {
	case c.URL != "":
		return checkURL(ctx, c)
	case c.SQL != "":
		v, err := r.Writer.QueryValue(ctx, c.SQL)
		if err != nil {
			return err
		}
		if strings.TrimSpace(v) != strings.TrimSpace(c.Expect) {
			return fmt.Errorf("the query returned %q, %q is expected", v, c.Expect)
		}
		return nil
	}
	return errors.New("it has neither url nor sql: give one in erp.health")
}

func checkURL(ctx context.Context, c config.HealthCheck) error {
	want := c.Status
	if want == 0 {
		want = http.StatusOK
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return fmt.Errorf("url %q: %w", c.URL, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("status %d, %d is expected", resp.StatusCode, want)
	}
	return nil
}
