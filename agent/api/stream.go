package api

import (
	"context"
	"encoding/json"
	"net/http"
)

// frame is one line of a stream (newline-delimited JSON): an event, the
// error that ended the stream, or Done once the stream is complete.
type frame[T any] struct {
	Event *T         `json:"event,omitempty"`
	Error *wireError `json:"error,omitempty"`
	Done  bool       `json:"done,omitempty"`
}

// stream answers with newline-delimited JSON frames, one flushed per event.
// The headers wait for the first event, so an error before it (an unknown
// run) is an ordinary error response. Shutdown ends every stream.
func stream[T any](s *Server, w http.ResponseWriter, r *http.Request, produce func(context.Context, func(T) error) error) error {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.closing, cancel)()
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	started := false
	start := func() {
		if !started {
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.WriteHeader(http.StatusOK)
			started = true
		}
	}
	err := produce(ctx, func(v T) error {
		start()
		if err := enc.Encode(frame[T]{Event: &v}); err != nil {
			return err
		}
		return rc.Flush()
	})
	if err != nil && !started && ctx.Err() == nil {
		return err
	}
	start()
	switch {
	case ctx.Err() != nil: // the caller went away or the agent is stopping
	case err != nil:
		_, we := encodeError(err)
		enc.Encode(frame[T]{Error: &we})
	default:
		enc.Encode(frame[T]{Done: true})
	}
	return nil
}
