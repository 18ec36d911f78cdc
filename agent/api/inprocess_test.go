package api_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
)

// TestInProcessServesTheSameAPIToItsCaller: a client of InProcess is
// answered by the same routes, knows its caller without peer
// credentials, is refused acting when the caller may only read, and gets
// typed errors; after stop it reaches nothing.
func TestInProcessServesTheSameAPIToItsCaller(t *testing.T) {
	ctx := t.Context()
	b := newBackend(t, t.TempDir())
	cl, stop, err := api.InProcess(b, api.Caller{User: "ann", UID: "1000", CanAct: true, Client: "cli"}, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := cl.Status(ctx)
	if err != nil || st.Caller.User != "ann" || !st.Caller.CanAct || st.Caller.Client != "cli" {
		t.Fatalf("status in process: %+v, %v; want ann, who may act, through cli", st, err)
	}
	if _, err := cl.Run(ctx, "7"); kind(err) != "not_found" {
		t.Errorf("an unknown run in process: %v, want not found", err)
	}
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := stop(c); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if _, err := cl.Status(ctx); err == nil {
		t.Error("status after stop answered")
	}

	reader, stopReader, err := api.InProcess(b, api.Caller{User: "bob", UID: "1001"}, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer stopReader(ctx)
	if _, err := reader.Scan(ctx, api.ScanRequest{}); kind(err) != "access_denied" || !strings.Contains(err.Error(), "bob may only read") {
		t.Errorf("a read-only caller scanning in process: %v, want access denied naming bob", err)
	}
}

// TestPlanChangedTravelsAsItsOwnCode: a conflict about a changed plan
// keeps its code across the wire, other conflicts have none.
func TestPlanChangedTravelsAsItsOwnCode(t *testing.T) {
	ctx := t.Context()
	for _, sent := range []*api.ConflictError{
		{Message: "the plan changed", Code: api.CodePlanChanged},
		{Message: "another apply is running", RunID: "3"},
	} {
		cl, stop, err := api.InProcess(conflicting{err: sent}, api.Caller{User: "root", CanAct: true}, api.Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = cl.Apply(ctx, api.RunRequest{PlanHash: "x"})
		var cf *api.ConflictError
		if !errors.As(err, &cf) || cf.Code != sent.Code || cf.RunID != sent.RunID || cf.Message != sent.Message {
			t.Errorf("sent %+v, the client got %#v", sent, err)
		}
		stop(ctx)
	}
}

// conflicting answers every apply with its conflict (and nothing else).
type conflicting struct {
	api.Backend
	err *api.ConflictError
}

func (c conflicting) Apply(context.Context, api.RunRequest, api.Caller) (*api.Run, error) {
	return nil, c.err
}
