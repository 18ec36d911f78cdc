package service

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync"

	kservice "github.com/kardianos/service"

	"github.com/upkeep-erp/upkeep/platform"
)

// NewLogger returns the service's logger: text lines on w (journald and
// launchd collect a service's stdout), or the Windows event log when
// running under the Windows service manager.
func NewLogger(name string, w io.Writer) *slog.Logger {
	if platform.ServiceLogIsSystemLog() && !kservice.Interactive() {
		if svc, err := kservice.New(idle{}, &kservice.Config{Name: name}); err == nil {
			if l, err := svc.SystemLogger(nil); err == nil {
				return slog.New(newSystemHandler(l))
			}
		}
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// systemHandler sends each record, formatted as a text line, to a
// kardianos logger at the record's level.
type systemHandler struct {
	inner slog.Handler
	out   *levelWriter
}

func newSystemHandler(l kservice.Logger) *systemHandler {
	w := &levelWriter{l: l}
	return &systemHandler{inner: slog.NewTextHandler(w, &slog.HandlerOptions{ReplaceAttr: dropTime}), out: w}
}

// dropTime leaves the timestamp to the system log.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func (h *systemHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *systemHandler) Handle(ctx context.Context, r slog.Record) error {
	h.out.mu.Lock()
	defer h.out.mu.Unlock()
	h.out.level = r.Level
	return h.inner.Handle(ctx, r)
}

func (h *systemHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &systemHandler{inner: h.inner.WithAttrs(as), out: h.out}
}

func (h *systemHandler) WithGroup(name string) slog.Handler {
	return &systemHandler{inner: h.inner.WithGroup(name), out: h.out}
}

// levelWriter writes each line at the level of the record being handled.
type levelWriter struct {
	mu    sync.Mutex
	level slog.Level
	l     kservice.Logger
}

func (w *levelWriter) Write(b []byte) (int, error) {
	line := string(bytes.TrimSpace(b))
	var err error
	switch {
	case w.level >= slog.LevelError:
		err = w.l.Error(line)
	case w.level >= slog.LevelWarn:
		err = w.l.Warning(line)
	default:
		err = w.l.Info(line)
	}
	return len(b), err
}
