package config

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
)

// Odoo locates an Odoo server (package agent/erp/odoo) in Odoo's own
// terms; what its configuration file already says (addons_path, data_dir,
// db_name, the database connection, http_port) is read from there.
type Odoo struct {
	OdooBin  string `toml:"odoo_bin"` // the odoo-bin program
	Python   string `toml:"python"`   // the interpreter that runs odoo-bin; default /usr/bin/python3
	Config   string `toml:"config"`   // Odoo's configuration file, as given to odoo-bin -c
	Database string `toml:"database"` // default: db_name of the configuration file
	// ModulesDir is the addons folder where Upkeep places module folders;
	// default: the first addons_path entry of the configuration file.
	ModulesDir   string `toml:"modules_dir"`
	URL          string `toml:"url"`           // the server's root; default from http_interface and http_port
	Login        string `toml:"login"`         // with password_file: the health check logs in (a read-only user is enough)
	PasswordFile string `toml:"password_file"` // the first line is login's password
	PGBackup     string `toml:"pg_backup"`     // "pg-template" (default) or "pg-dump"
}

// Check checks the keys of [erp.odoo]; the error names the key and the fix.
func (o Odoo) Check() error {
	if o.OdooBin == "" || !filepath.IsAbs(o.OdooBin) {
		return fmt.Errorf("erp.odoo.odoo_bin = %q: give the full path of odoo-bin, e.g. /opt/odoo/odoo-bin", o.OdooBin)
	}
	if o.Config == "" || !filepath.IsAbs(o.Config) {
		return fmt.Errorf("erp.odoo.config = %q: give the full path of the configuration file odoo-bin reads (its -c), e.g. /etc/odoo/odoo.conf", o.Config)
	}
	if o.ModulesDir != "" && !filepath.IsAbs(o.ModulesDir) {
		return fmt.Errorf("erp.odoo.modules_dir = %q: give an absolute path (an addons_path folder of the configuration file)", o.ModulesDir)
	}
	if u, err := url.Parse(o.URL); o.URL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return fmt.Errorf("erp.odoo.url = %q: give the server's address, e.g. http://127.0.0.1:8069/, or leave it out to use http_port", o.URL)
	}
	if (o.Login == "") != (o.PasswordFile == "") {
		return errors.New("erp.odoo.login and password_file go together: set both for the logged-in health check, or neither")
	}
	if o.PGBackup != "" && o.PGBackup != "pg-template" && o.PGBackup != "pg-dump" {
		return fmt.Errorf(`erp.odoo.pg_backup = %q: use "pg-template" (a clone on the same cluster) or "pg-dump"`, o.PGBackup)
	}
	return nil
}
