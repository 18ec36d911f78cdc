package catalog

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestParseDirectory(t *testing.T) {
	d, err := ParseDirectory([]byte(`{"schema":1,"repositories":[{"name":"2.50","kind":"series"},{"name":"acme","kind":"private"}]}`))
	if err != nil || len(d.Repositories) != 2 || d.Repositories[1].Kind != "private" {
		t.Fatalf("ParseDirectory = %+v, %v", d, err)
	}
	for _, bad := range []string{`{"schema":2,"repositories":[]}`, `{"schema":1,"repositories":[{"name":"","kind":"series"}]}`,
		`{"schema":1,"repositories":[{"name":"x","kind":"other"}]}`, `not json`} {
		if _, err := ParseDirectory([]byte(bad)); err == nil {
			t.Errorf("ParseDirectory(%s) succeeded", bad)
		}
	}
}

func FuzzParseDirectory(f *testing.F) {
	f.Add([]byte(`{"schema":1,"repositories":[{"name":"2.50","kind":"series"}]}`))
	f.Add([]byte(`{"schema":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDirectory(data)
		if err != nil {
			return
		}
		again, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		d2, err := ParseDirectory(again)
		if err != nil || !reflect.DeepEqual(d, d2) {
			t.Fatalf("round trip: %v %+v %+v", err, d, d2)
		}
	})
}
