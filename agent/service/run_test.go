package service

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// recorder is an Agent that notes what happens to it.
type recorder struct {
	mu       sync.Mutex
	calls    []string
	startErr error
	ctx      context.Context
}

func (r *recorder) note(s string) { r.mu.Lock(); r.calls = append(r.calls, s); r.mu.Unlock() }

func (r *recorder) Start(ctx context.Context) error {
	r.note("start")
	r.ctx = ctx
	return r.startErr
}

func (r *recorder) Stop(ctx context.Context) error {
	if r.ctx.Err() == nil {
		r.note("stop before its context ended")
	}
	if _, ok := ctx.Deadline(); !ok {
		r.note("stop without a deadline")
	}
	r.note("stop")
	return nil
}

func TestRunStartsWaitsAndStops(t *testing.T) {
	var logs bytes.Buffer
	a := &recorder{}
	err := Run(RunOptions{Agent: a, Log: slog.New(slog.NewTextHandler(&logs, nil)), Wait: func() { a.note("wait") }})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(a.calls, ", "); got != "start, wait, stop" {
		t.Errorf("calls = %s", got)
	}
	for _, msg := range []string{"msg=starting", "msg=started", "msg=stopped"} {
		if !strings.Contains(logs.String(), msg) {
			t.Errorf("the log lacks %s:\n%s", msg, logs.String())
		}
	}
}

func TestRunReturnsAStartFailure(t *testing.T) {
	var logs bytes.Buffer
	a := &recorder{startErr: errors.New("socket in use")}
	err := Run(RunOptions{Agent: a, Log: slog.New(slog.NewTextHandler(&logs, nil)), Wait: func() { a.note("wait") }})
	if err == nil || err.Error() != "socket in use" {
		t.Errorf("Run: %v, want the start error", err)
	}
	if got := strings.Join(a.calls, ", "); got != "start" {
		t.Errorf("calls = %s, want only start", got)
	}
	if !strings.Contains(logs.String(), "could not start") {
		t.Errorf("the log does not say it could not start:\n%s", logs.String())
	}
}
