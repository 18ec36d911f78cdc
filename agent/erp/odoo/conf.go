package odoo

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Conf is what the adapter reads from Odoo's own configuration file (the
// one odoo-bin -c reads): its [options] section.
type Conf struct {
	AddonsPath    []string // addons_path, in order
	DataDir       string   // data_dir: the filestore is DATA_DIR/filestore/DB
	DBName        string   // db_name
	DBHost        string   // db_host ("": the local socket)
	DBPort        int      // db_port (0: 5432)
	DBUser        string   // db_user
	DBPassword    string   // db_password
	HTTPInterface string   // http_interface ("": every interface)
	HTTPPort      int      // http_port (0: 8069)
	DBFilter      string   // dbfilter
	PIDFile       string   // pidfile
}

// maxConfLine bounds one line of the file.
const maxConfLine = 64 << 10

// ParseConf reads an Odoo configuration file: INI, keys in [options],
// "#" and ";" comments; Odoo writes an unset key as False or None.
func ParseConf(data []byte) (Conf, error) {
	var c Conf
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 4096), maxConfLine)
	section, seen := "", false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			if !strings.HasSuffix(line, "]") {
				return Conf{}, fmt.Errorf("line %d: section header %q has no closing ]", n, line)
			}
			section = strings.TrimSpace(line[1 : len(line)-1])
			seen = seen || section == "options"
			continue
		}
		key, value, ok := cutKey(line)
		if !ok {
			return Conf{}, fmt.Errorf("line %d: %q is not \"key = value\"", n, shorten(line))
		}
		if section != "options" {
			continue
		}
		if err := c.set(key, value); err != nil {
			return Conf{}, fmt.Errorf("line %d: %s: %w", n, key, err)
		}
	}
	if err := sc.Err(); err != nil {
		return Conf{}, fmt.Errorf("a line is longer than %d bytes: %w", maxConfLine, err)
	}
	if !seen {
		return Conf{}, fmt.Errorf("there is no [options] section: this is not an Odoo configuration file")
	}
	return c, nil
}

// cutKey splits "key = value" (or "key: value") as Python's configparser does.
func cutKey(line string) (key, value string, ok bool) {
	i := strings.IndexAny(line, "=:")
	if i <= 0 {
		return "", "", false
	}
	return strings.ToLower(strings.TrimSpace(line[:i])), strings.TrimSpace(line[i+1:]), true
}

// unset reports whether Odoo reads value as no value.
func unset(value string) bool { return value == "" || value == "False" || value == "None" }

// set stores one key of [options]; keys the adapter does not use are ignored.
func (c *Conf) set(key, value string) error {
	if unset(value) {
		value = ""
	}
	str := map[string]*string{"data_dir": &c.DataDir, "db_name": &c.DBName, "db_host": &c.DBHost, "db_user": &c.DBUser,
		"db_password": &c.DBPassword, "http_interface": &c.HTTPInterface, "dbfilter": &c.DBFilter, "pidfile": &c.PIDFile}
	if p, ok := str[key]; ok {
		*p = value
		return nil
	}
	switch key {
	case "addons_path":
		c.AddonsPath = nil
		for _, p := range strings.Split(value, ",") {
			if p = strings.TrimSpace(p); p != "" {
				c.AddonsPath = append(c.AddonsPath, p)
			}
		}
	case "db_port", "http_port", "xmlrpc_port":
		return c.setPort(key, value)
	}
	return nil
}

// setPort stores db_port or http_port (xmlrpc_port is its old name).
func (c *Conf) setPort(key, value string) error {
	n := 0
	if value != "" {
		var err error
		if n, err = strconv.Atoi(value); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q is not a port number (1-65535)", shorten(value))
		}
	}
	if key == "db_port" {
		c.DBPort = n
	} else {
		c.HTTPPort = n
	}
	return nil
}

// shorten keeps an echoed value short.
func shorten(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
