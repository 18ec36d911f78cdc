package api

import (
	"net/http"
	"sort"
	"testing"
)

func TestRouteTableIsSortedAndConsistent(t *testing.T) {
	if !sort.SliceIsSorted(routes, func(i, j int) bool { return routes[i].path < routes[j].path }) {
		t.Error("routes are not sorted by path")
	}
	seen := map[string]bool{}
	for _, rt := range routes {
		if seen[rt.path] {
			t.Errorf("%s is listed twice", rt.path)
		}
		seen[rt.path] = true
		if len(rt.methods) == 0 {
			t.Errorf("%s has no method", rt.path)
		}
		for _, m := range rt.methods {
			if wantAct := m.name != http.MethodGet; m.act != wantAct {
				t.Errorf("%s %s: act = %v, want %v (reads are GET, everything else acts)", m.name, rt.path, m.act, wantAct)
			}
		}
	}
}

func TestEveryErrorTypeSurvivesTheWire(t *testing.T) {
	for _, err := range []error{
		&AccessDeniedError{Message: "a"}, &NotFoundError{Message: "b"}, &ConflictError{Message: "c", RunID: "r7"},
		&BadRequestError{Message: "d"}, &BadRequestError{Message: "d2", Code: CodeUnknownModule}, &NotAvailableError{Feature: "e"}, &Error{Status: 500, Message: "f"},
	} {
		status, w := encodeError(err)
		back := decodeError(status, w)
		if back.Error() != err.Error() {
			t.Errorf("%T: message %q came back as %q", err, err.Error(), back.Error())
		}
		if got, want := typeName(back), typeName(err); got != want {
			t.Errorf("%T came back as %s", err, got)
		}
		if b, ok := err.(*BadRequestError); ok && back.(*BadRequestError).Code != b.Code {
			t.Errorf("BadRequestError lost its code: %+v", back)
		}
		if c, ok := back.(*ConflictError); ok && c.RunID != "r7" {
			t.Errorf("ConflictError lost its run id: %+v", c)
		}
	}
}

func typeName(err error) string {
	switch err.(type) {
	case *AccessDeniedError:
		return "AccessDenied"
	case *NotFoundError:
		return "NotFound"
	case *ConflictError:
		return "Conflict"
	case *BadRequestError:
		return "BadRequest"
	case *NotAvailableError:
		return "NotAvailable"
	case *Error:
		return "Error"
	}
	return "other"
}
