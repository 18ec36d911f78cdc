package api

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

func FuzzRequestBodies(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"hold":[{"module":"arp","reason":"x"}],"unhold":["b"]}`,
		`{"plan_hash":"ab","plan":{"install":["a"],"disable_blockers":true}}`, `{"default_upgrade":{"arp":"true"}}`,
		`{"revision":"r","toml":"[erp]"}`, `[1]`, `{"colour":1}`, `{} {}`, `{"hold":`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, v := range []any{&HoldsChange{}, &OverridesChange{}, &RunRequest{}, &SettingsUpdate{}, &ScanRequest{}} {
			err := readJSON(httptest.NewRequest("PUT", "/", strings.NewReader(body)), v, true)
			var br *BadRequestError
			if err != nil && !errors.As(err, &br) {
				t.Fatalf("%T from %q: %v is not a BadRequestError", v, body, err)
			}
		}
	})
}

func FuzzStreamFrames(f *testing.F) {
	for _, s := range []string{"{\"event\":{\"seq\":1,\"step\":\"backup\"}}\n{\"done\":true}\n", "", "{\"event\":{}}\n",
		"{\"error\":{\"error\":\"no run\",\"code\":\"not_found\"}}\n", "{\"event\":", "garbage", "{}\n{\"done\":true}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stream string) {
		err := readFrames(context.Background(), strings.NewReader(stream), "/x", func(RunEvent) error { return nil })
		switch err.(type) {
		case nil, *UnreachableError, *AccessDeniedError, *NotFoundError, *ConflictError, *BadRequestError, *NotAvailableError, *Error:
		default:
			t.Fatalf("%q: untyped error %T %v", stream, err, err)
		}
	})
}
