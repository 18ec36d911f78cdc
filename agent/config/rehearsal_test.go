package config

import (
	"path/filepath"
	"strings"
	"testing"
)

const commandERP = `
[erp]
kind = "command"
[erp.command]
database = "postgresql://odoo@127.0.0.1:5432/erp"
modules_dir = "/opt/odoo/custom"
update = ["odoo-bin", "-d", "erp", "-u", "{modules}"]
health = ["curl", "-fsS", "http://127.0.0.1:8069/web/health"]
[repository]
url = "http://127.0.0.1:8480"
trusted_root = "root.json"
`

func TestRehearsalParses(t *testing.T) {
	base := t.TempDir()
	c, err := Parse([]byte(demo+`
[rehearsal.test_instance]
kind = "demo"
demo.dir = "test-erp"
demo.url = "http://127.0.0.1:8070"
server.pidfile = "test.pid"
server.start = ["demo-erp", "--dir", "test-erp", "serve", "--addr", "127.0.0.1:8070"]
[[rehearsal.test_instance.health]]
sql = "SELECT 1"
expect = "1"
`), base)
	if err != nil {
		t.Fatal(err)
	}
	tc := c.TestInstanceConfig()
	if tc == nil || tc.ERP.Demo.Dir != filepath.Join(base, "test-erp") || tc.ERP.Server.PIDFile != filepath.Join(base, "test.pid") || c.ERP.Demo.Dir != filepath.Join(base, "erp") {
		t.Fatalf("test instance = %+v", tc)
	}
	if h := c.Rehearsal.TestInstanceHealth(); len(h) != 1 || h[0].SQL != "SELECT 1" {
		t.Errorf("test instance health = %+v", h)
	}
	c, err = Parse([]byte(commandERP+`
[erp.command.rehearsal]
start = ["odoo-bin", "-d", "{database}", "--http-port={port}", "--pidfile={pidfile}", "--addons-path={modules_dir}"]
update = ["odoo-bin", "-d", "{database}", "-u", "{modules}", "-i", "{install}"]
health = ["curl", "-fsS", "http://127.0.0.1:{port}/web/health"]
`), base)
	if err != nil || len(c.ERP.Command.Rehearsal.Start) != 6 || c.TestInstanceConfig() != nil {
		t.Errorf("command rehearsal: %+v, %v", c.ERP.Command.Rehearsal, err)
	}
}

func TestBadRehearsalNamesTheKey(t *testing.T) {
	cases := map[string]struct{ conf, want string }{
		"production as test instance": {demo + "[rehearsal.test_instance]\nkind = \"demo\"\ndemo.dir = \"erp\"\n", "names the production ERP itself"},
		"incomplete test instance":    {demo + "[rehearsal.test_instance]\nkind = \"demo\"\n", "rehearsal.test_instance: erp.demo.dir is empty"},
		"unknown test instance key":   {demo + "[rehearsal.test_instance]\nkind = \"demo\"\ndemo.dri = \"x\"\n", "rehearsal.test_instance.demo.dri"},
		"no update": {commandERP + "[erp.command.rehearsal]\nstart = [\"odoo-bin\"]\n",
			"erp.command.rehearsal.update is empty"},
		"unknown placeholder": {commandERP + "[erp.command.rehearsal]\nstart = [\"odoo-bin\", \"--port={prot}\"]\nupdate = [\"x\", \"{modules}\"]\n",
			"erp.command.rehearsal.start: {prot} is not a placeholder"},
		"update without modules": {commandERP + "[erp.command.rehearsal]\nstart = [\"odoo-bin\"]\nupdate = [\"x\", \"{database}\"]\n",
			"has no {modules} placeholder"},
		"modules in start": {commandERP + "[erp.command.rehearsal]\nstart = [\"odoo-bin\", \"{modules}\"]\nupdate = [\"x\", \"{modules}\"]\n",
			"{modules} is not a placeholder"},
	}
	for name, c := range cases {
		if _, err := Parse([]byte(c.conf), t.TempDir()); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", name, err, c.want)
		}
	}
}
