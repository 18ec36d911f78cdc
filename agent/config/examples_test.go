package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/upkeep-erp/upkeep/agent/config"
)

// TestDocExamples keeps the example configurations in docs/examples valid:
// each parses and validates, and names the ERP kind its file name says.
func TestDocExamples(t *testing.T) {
	want := map[string]string{"tryton.toml": "tryton", "odoo.toml": "odoo"}
	for name, kind := range want {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("..", "..", "docs", "examples", name)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			c, err := config.Parse(data, "/etc/upkeep")
			if err != nil {
				t.Fatalf("%s does not validate: %v", path, err)
			}
			if c.ERP.Kind != kind {
				t.Errorf("%s: erp.kind = %q, want %q", path, c.ERP.Kind, kind)
			}
		})
	}
}
