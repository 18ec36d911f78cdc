package tryton

import (
	"strings"
	"testing"
)

// The answers below are those trytond 6.0 gives (notes §4).
func TestDecodeAnswer(t *testing.T) {
	var v string
	if err := decodeAnswer("m", "u", []byte(`{"id":1,"result":"6.0.29"}`), &v); err != nil || v != "6.0.29" {
		t.Errorf("version answer: %q, %v", v, err)
	}
	err := decodeAnswer("m", "u", []byte(`{"id":5,"error":["no such column: a.acme_tier",""]}`), &v)
	if err == nil || !strings.HasSuffix(err.Error(), "failed: no such column: a.acme_tier") {
		t.Errorf("error answer: %v", err)
	}
	if err := decodeAnswer("m", "u", []byte(`<html>`), &v); err == nil || !strings.Contains(err.Error(), "not JSON-RPC") {
		t.Errorf("HTML answer: %v", err)
	}
	var login []any
	if err := decodeAnswer("m", "u", []byte(`{"id":3,"result":[1,"abc"]}`), &login); err != nil || len(login) != 2 {
		t.Errorf("login answer: %v, %v", login, err)
	}
	if err := decodeAnswer("m", "u", []byte(`{"id":3,"result":{"a":1}}`), &login); err == nil {
		t.Error("a result of the wrong shape was accepted")
	}
}

func FuzzDecodeAnswer(f *testing.F) {
	f.Add(`{"id":1,"result":"6.0.29"}`)
	f.Add(`{"id":1,"error":["UserError",["locked","",{}]]}`)
	f.Add(`{"id":1,"result":null,"error":null}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, raw string) {
		var out any
		_ = decodeAnswer("m", "u", []byte(raw), &out)
		_ = decodeAnswer("m", "u", []byte(raw), nil)
	})
}
