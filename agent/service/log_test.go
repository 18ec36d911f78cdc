package service

import (
	"log/slog"
	"strings"
	"testing"
)

// eventLog stands in for the Windows event log: it keeps what each level got.
type eventLog struct{ lines []string }

func (l *eventLog) add(level string, v []interface{}) error {
	l.lines = append(l.lines, level+" "+v[0].(string))
	return nil
}
func (l *eventLog) Error(v ...interface{}) error              { return l.add("E", v) }
func (l *eventLog) Warning(v ...interface{}) error            { return l.add("W", v) }
func (l *eventLog) Info(v ...interface{}) error               { return l.add("I", v) }
func (l *eventLog) Errorf(f string, v ...interface{}) error   { return l.add("E", []interface{}{f}) }
func (l *eventLog) Warningf(f string, v ...interface{}) error { return l.add("W", []interface{}{f}) }
func (l *eventLog) Infof(format string, v ...interface{}) error {
	return l.add("I", []interface{}{format})
}

func TestSystemLogGetsEachRecordAtItsLevel(t *testing.T) {
	l := &eventLog{}
	log := slog.New(newSystemHandler(l)).With("service", "upkeep")
	log.Info("started", "pid", 7)
	log.Warn("repository unreachable")
	log.WithGroup("api").Error("could not listen", "socket", "/run/upkeep/upkeep.sock")
	want := []string{
		"I level=INFO msg=started service=upkeep pid=7",
		"W level=WARN msg=\"repository unreachable\" service=upkeep",
		"E level=ERROR msg=\"could not listen\" service=upkeep api.socket=/run/upkeep/upkeep.sock",
	}
	if got := strings.Join(l.lines, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("event log got:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
