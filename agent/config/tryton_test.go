package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func trytonConfig(extra string) string {
	return `
[erp]
kind = "tryton"

[erp.tryton]
trytond_conf = "/etc/tryton/trytond.conf"
database = "erp"
` + extra + `
[repository]
url = "http://127.0.0.1:8480"
trusted_root = "root.json"
`
}

func TestTrytonWriteKeys(t *testing.T) {
	base := t.TempDir()
	c, err := Parse([]byte(trytonConfig(`modules_overlay = "overlay"
url = "http://127.0.0.1:8000/"
user = "admin"
password_file = "admin.pw"
pg_backup = "pg-dump"
`)), base)
	if err != nil {
		t.Fatal(err)
	}
	tr := c.ERP.Tryton
	if tr.ModulesOverlay != filepath.Join(base, "overlay") || tr.PasswordFile != filepath.Join(base, "admin.pw") {
		t.Errorf("relative paths not resolved against the file's folder: %+v", tr)
	}
	if tr.URL != "http://127.0.0.1:8000/" || tr.User != "admin" || tr.PGBackup != "pg-dump" {
		t.Errorf("keys not read: %+v", tr)
	}
}

func TestTrytonBadKeys(t *testing.T) {
	for extra, want := range map[string]string{
		`user = "admin"`:            "user and password_file go together",
		`password_file = "/etc/pw"`: "user and password_file go together",
		`url = "127.0.0.1:8000"`:    "erp.tryton.url",
		`url = "ftp://x/"`:          "erp.tryton.url",
		`pg_backup = "rsync"`:       "erp.tryton.pg_backup",
		`modules_overlay = "/"`:     "erp.tryton.modules_overlay",
	} {
		_, err := Parse([]byte(trytonConfig(extra)), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one naming %q", extra, err, want)
		}
	}
}
