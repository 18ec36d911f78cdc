package odoo

import (
	"reflect"
	"strings"
	"testing"
)

const sampleConf = `; an Odoo 17 configuration as an admin writes it
[options]
addons_path = /srv/addons-upkeep, /opt/odoo/odoo/addons,/opt/odoo/addons
data_dir = /var/lib/odoo
db_host = 127.0.0.1
db_port = 5433
db_user = odoo
db_password = False
db_name = erp
dbfilter = ^erp$
http_interface = 127.0.0.1
http_port: 18915
list_db = False
# a comment
admin_passwd = $pbkdf2-sha512$600000$x

[logger]
db_name = not-this-one
`

func TestParseConf(t *testing.T) {
	c, err := ParseConf([]byte(sampleConf))
	if err != nil {
		t.Fatal(err)
	}
	want := Conf{AddonsPath: []string{"/srv/addons-upkeep", "/opt/odoo/odoo/addons", "/opt/odoo/addons"}, DataDir: "/var/lib/odoo",
		DBName: "erp", DBHost: "127.0.0.1", DBPort: 5433, DBUser: "odoo", HTTPInterface: "127.0.0.1", HTTPPort: 18915, DBFilter: "^erp$"}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
}

func TestParseConfRejects(t *testing.T) {
	tests := []struct{ src, says string }{
		{"db_name = x\n", "no [options] section"},
		{"[options\n", "no closing ]"},
		{"[options]\njust words\n", `line 2: "just words" is not "key = value"`},
		{"[options]\nhttp_port = 99999\n", "line 2: http_port: \"99999\" is not a port number"},
		{"[options]\ndb_port = x\n", "db_port: \"x\" is not a port number"},
		{"[options]\nx = " + strings.Repeat("a", maxConfLine) + "\n", "longer than"},
	}
	for _, tt := range tests {
		_, err := ParseConf([]byte(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("ParseConf(%.30q) = %v, want an error saying %q", tt.src, err, tt.says)
		}
	}
}

func FuzzParseConf(f *testing.F) {
	for _, s := range []string{sampleConf, "", "[options]\n", "[options]\naddons_path = ,,\n", "[options\n", "[options]\nhttp_port = 0\n", "[options]\n=x\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConf(data)
		if err != nil {
			return
		}
		for _, p := range c.AddonsPath {
			if p == "" || strings.TrimSpace(p) != p {
				t.Fatalf("addons_path entry %q is empty or padded", p)
			}
		}
		if c.HTTPPort < 0 || c.HTTPPort > 65535 || c.DBPort < 0 || c.DBPort > 65535 {
			t.Fatalf("ports out of range: %+v", c)
		}
	})
}
