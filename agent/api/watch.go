package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// WatchRun calls fn with each progress event of run id after since (0: from
// the start), as it happens, and returns nil once the run has ended. An
// error from fn stops watching and is returned; the run goes on. When the
// agent goes away mid-stream the error is an *UnreachableError: watch again
// with the last Seq seen.
func (c *Client) WatchRun(ctx context.Context, id string, since int64, fn func(RunEvent) error) error {
	return watch(ctx, c, "/v1/runs/"+url.PathEscape(id)+"/events", since, fn)
}

// WatchEvents calls fn with each history event after since, then with each
// new one as it happens, until ctx ends (its error is returned) or fn fails.
func (c *Client) WatchEvents(ctx context.Context, since int64, fn func(Event) error) error {
	return watch(ctx, c, "/v1/events/stream", since, fn)
}

func watch[T any](ctx context.Context, c *Client, path string, since int64, fn func(T) error) error {
	q := url.Values{}
	if since > 0 {
		q.Set("since", strconv.FormatInt(since, 10))
	}
	resp, err := c.send(ctx, http.MethodGet, path, q, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return readFrames(ctx, resp.Body, c.path(), fn)
}

// readFrames calls fn with each event frame of a stream until its Done
// frame (nil), an error frame (its typed error), or the stream's end
// before Done (an *UnreachableError).
func readFrames[T any](ctx context.Context, r io.Reader, path string, fn func(T) error) error {
	dec := json.NewDecoder(r)
	for {
		var f frame[T]
		err := dec.Decode(&f)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, io.EOF):
			return &UnreachableError{Path: path, Err: errors.New("the agent ended the stream early (it may be stopping)")}
		case err != nil:
			return &UnreachableError{Path: path, Err: fmt.Errorf("read the stream: %w", err)}
		case f.Error != nil:
			return decodeError(http.StatusOK, *f.Error)
		case f.Done:
			return nil
		case f.Event != nil:
			if err := fn(*f.Event); err != nil {
				return err
			}
		}
	}
}
