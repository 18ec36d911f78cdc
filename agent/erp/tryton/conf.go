package tryton

import (
	"bufio"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// backend names, as Tryton takes them from the [database] uri scheme.
const (
	backendSQLite   = "sqlite"
	backendPostgres = "postgresql"
)

// dbTarget is where the instance's database lives, as trytond would resolve
// it from trytond.conf, the environment and the database name.
type dbTarget struct {
	backend string
	file    string   // SQLite: PATH/NAME.sqlite
	pgURL   *url.URL // PostgreSQL: the uri with the database name as its path
	origin  string   // for messages: which setting decided it
}

// String names the database without its password.
func (d dbTarget) String() string {
	if d.backend == backendSQLite {
		return "SQLite database " + d.file
	}
	return "PostgreSQL database " + strings.TrimPrefix(d.pgURL.Path, "/") + " at " + d.pgURL.Redacted()
}

// dbSettings is the [database] section as trytond 6.0 sees it.
type dbSettings struct {
	uri, path         string
	uriFrom, pathFrom string // "default", "environment TRYTOND_DATABASE__URI", "CONF"
}

// readDBSettings resolves [database] uri and path like trytond 6.0: its
// defaults (uri: $TRYTOND_DATABASE_URI or sqlite://; path: ~/db), then the
// environment (TRYTOND_DATABASE__URI, TRYTOND_DATABASE__PATH), then the
// configuration file, which wins over the environment (trytond-admin and
// trytond read the -c file after the environment).
func readDBSettings(conf string, getenv func(string) string) (dbSettings, error) {
	s := dbSettings{uri: "sqlite://", uriFrom: "the default", pathFrom: "the default"}
	if v := getenv("TRYTOND_DATABASE_URI"); v != "" {
		s.uri, s.uriFrom = v, "environment TRYTOND_DATABASE_URI"
	}
	if home, err := os.UserHomeDir(); err == nil {
		s.path = filepath.Join(home, "db")
	}
	for _, kv := range []struct{ env, key string }{{"TRYTOND_DATABASE__URI", "uri"}, {"TRYTOND_DATABASE__PATH", "path"}} {
		if v := getenv(kv.env); v != "" {
			s.set(kv.key, v, "environment "+kv.env)
		}
	}
	sec, err := parseINISection(conf, "database")
	if err != nil {
		return dbSettings{}, err
	}
	for _, key := range []string{"uri", "path"} {
		if v, ok := sec[key]; ok {
			s.set(key, v, "[database] "+key+" in "+conf)
		}
	}
	return s, nil
}

func (s *dbSettings) set(key, v, from string) {
	if key == "uri" {
		s.uri, s.uriFrom = v, from
	} else {
		s.path, s.pathFrom = v, from
	}
}

// target turns the settings and a database name into the database to open.
func (s dbSettings) target(name string) (dbTarget, error) {
	u, err := url.Parse(s.uri)
	if err != nil {
		var ue *url.Error // its text repeats the uri, password included
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return dbTarget{}, fmt.Errorf("tryton: %s: uri %q does not parse; write sqlite:// or postgresql://USER:PASSWORD@HOST:PORT/: %w", s.uriFrom, redactURI(s.uri), err)
	}
	switch u.Scheme {
	case backendSQLite:
		if !filepath.IsAbs(s.path) {
			return dbTarget{}, fmt.Errorf("tryton: %s: path %q is not absolute: trytond resolves it against the server's working directory, which the agent cannot know; make it absolute", s.pathFrom, s.path)
		}
		return dbTarget{backend: backendSQLite, file: filepath.Join(s.path, name+".sqlite"), origin: s.pathFrom}, nil
	case backendPostgres:
		pg := *u
		pg.Path, pg.RawPath = "/"+name, ""
		return dbTarget{backend: backendPostgres, pgURL: &pg, origin: s.uriFrom}, nil
	}
	return dbTarget{}, fmt.Errorf("tryton: %s: uri %q has backend %q: Tryton 6.0 reads sqlite:// or postgresql://USER:PASSWORD@HOST:PORT/", s.uriFrom, redactURI(s.uri), u.Scheme)
}

// redactURI hides a password in a uri for messages; unparsable text is
// returned up to its scheme.
func redactURI(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	if i := strings.Index(s, "://"); i >= 0 {
		return s[:i] + "://…"
	}
	return "…"
}

// parseINISection returns the options of one section of an INI file read
// the way Python's configparser does (interpolation off, as trytond sets it):
// keys are case-insensitive, "key = value" or "key: value", full-line
// comments start with # or ;, indented lines continue a value, and [DEFAULT]
// supplies options the section lacks.
func parseINISection(path, want string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tryton: open trytond.conf: %w", err)
	}
	defer f.Close()
	p := iniParser{sections: map[string]map[string]string{}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if err := p.line(sc.Text()); err != nil {
			return nil, fmt.Errorf("tryton: %s line %d: %w", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tryton: read %s: %w", path, err)
	}
	out := map[string]string{}
	for k, v := range p.sections["DEFAULT"] {
		out[k] = v
	}
	for k, v := range p.sections[want] {
		out[k] = v
	}
	return out, nil
}

type iniParser struct {
	sections map[string]map[string]string
	section  string // current section; "" before the first header
	key      string // last key, for continuation lines
}

var errNoSection = errors.New("an option before any [section] header; trytond would refuse this file")

func (p *iniParser) line(raw string) error {
	trimmed := strings.TrimSpace(raw)
	switch {
	case trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';':
		if trimmed == "" {
			p.key = ""
		}
		return nil
	case raw[0] == ' ' || raw[0] == '\t':
		if p.key != "" {
			opts := p.sections[p.section]
			opts[p.key] = strings.TrimSpace(opts[p.key] + "\n" + trimmed)
			return nil
		}
	case trimmed[0] == '[' && strings.HasSuffix(trimmed, "]"):
		p.section, p.key = trimmed[1:len(trimmed)-1], ""
		if p.sections[p.section] == nil {
			p.sections[p.section] = map[string]string{}
		}
		return nil
	}
	if p.section == "" {
		return errNoSection
	}
	i := strings.IndexAny(trimmed, "=:")
	if i < 0 {
		return fmt.Errorf("%q is not \"key = value\"; trytond would refuse this file", trimmed)
	}
	p.key = strings.ToLower(strings.TrimSpace(trimmed[:i]))
	p.sections[p.section][p.key] = strings.TrimSpace(trimmed[i+1:])
	return nil
}
