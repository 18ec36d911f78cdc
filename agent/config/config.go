// Package config reads and validates the agent's TOML configuration: the ERP to watch, the central repository to trust and the update policy.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/upkeep-erp/upkeep/catalog"
)

// DefaultPath is where the service looks for its configuration.
const DefaultPath = "/etc/upkeep/upkeep.toml"

// Config is the agent's configuration.
type Config struct {
	ERP        ERP        `toml:"erp"`
	Repository Repository `toml:"repository"`
	Policy     Policy     `toml:"policy"`
	Apply      Apply      `toml:"apply"`
	State      State      `toml:"state"`
	API        API        `toml:"api"`
	Schedule   Schedule   `toml:"schedule"`
	Notify     Notify     `toml:"notify"`
	Rehearsal  Rehearsal  `toml:"rehearsal"` // rehearsal.go
	path       string
}

// ERP says which ERP the agent watches and how to reach it.
type ERP struct {
	Kind    string        `toml:"kind"` // command | demo | odoo | tryton
	Demo    Demo          `toml:"demo"`
	Tryton  Tryton        `toml:"tryton"`
	Command Command       `toml:"command"`
	Odoo    Odoo          `toml:"odoo"`
	Server  Server        `toml:"server"` // how to stop and start the ERP's server
	Health  []HealthCheck `toml:"health"` // checks run after the adapter's own, once the server is back
	// User is the OS user the ERP runs as: its own programs (Odoo's
	// update) run as that user when the agent runs as root. Used by odoo.
	User string `toml:"user"`
}

// Server says how the agent stops and starts the ERP's server. Give one of:
// a systemd unit; a pidfile with the start command (the agent starts the
// server detached and stops it with SIGTERM); or stop and start commands.
type Server struct {
	SystemdUnit string   `toml:"systemd_unit"`
	PIDFile     string   `toml:"pidfile"`
	Start       []string `toml:"start"`
	Stop        []string `toml:"stop"`
	Log         string   `toml:"log"`          // where a server the agent starts writes its output
	StopTimeout Duration `toml:"stop_timeout"` // SIGTERM, then SIGKILL after this; default 30s
}

// HealthCheck is a check of the running ERP: an HTTP URL answering Status,
// or a SQL query on the ERP database returning Expect.
type HealthCheck struct {
	Name   string `toml:"name"`
	URL    string `toml:"url"`
	Status int    `toml:"status"` // default 200
	SQL    string `toml:"sql"`
	Expect string `toml:"expect"`
}

// Command is an OpenERP-style ERP driven by commands (package
// agent/erp/command): an ir_module_module table, module folders with an
// upkeep.toml or __manifest__.py, and its own update command.
type Command struct {
	Database   string   `toml:"database"`    // sqlite:///abs/path or postgres://… of the ERP database
	ModulesDir string   `toml:"modules_dir"` // the addons folder the agent swaps module folders in
	AddonsPath []string `toml:"addons_path"` // further module folders, read only (e.g. Odoo's own addons), absolute
	// Update is the ERP's update command (argv, no shell): {modules} expands
	// to a comma list or "all"; optional {install} and {disable} to the
	// modules to install and disable. A placeholder whose list is empty is
	// left out with its argument, and so is the flag before a placeholder
	// that stands alone (-u {modules}).
	Update []string `toml:"update"`
	Health []string `toml:"health"` // a command that exits 0 when the server is healthy
	Python string   `toml:"python"` // interpreter for .py migration scripts; default python3
	// Rehearsal is how a throwaway rehearsal copy runs (rehearsal.go).
	Rehearsal RehearsalCommand `toml:"rehearsal"`
}

// Check checks the keys of [erp.command]; the error names the key and the fix.
func (c Command) Check() error {
	if err := checkDatabaseURL(c.Database); err != nil {
		return err
	}
	if c.ModulesDir == "" || !filepath.IsAbs(c.ModulesDir) {
		return fmt.Errorf("erp.command.modules_dir = %q: give the addons folder where Upkeep places module folders", c.ModulesDir)
	}
	for _, p := range c.AddonsPath {
		if !filepath.IsAbs(p) {
			return fmt.Errorf("erp.command.addons_path: %q is relative: give absolute paths", p)
		}
	}
	switch {
	case len(c.Update) == 0 || strings.TrimSpace(c.Update[0]) == "":
		return errors.New(`erp.command.update is empty: give the ERP's update command, e.g. ["/opt/odoo/odoo-bin", "-c", "/etc/odoo.conf", "-d", "erp", "-u", "{modules}", "--stop-after-init"]`)
	case strings.Contains(c.Update[0], "{"):
		return fmt.Errorf("erp.command.update: the program %q holds a placeholder: put {modules} in an argument", c.Update[0])
	case !strings.Contains(strings.Join(c.Update, "\x00"), "{modules}"):
		return errors.New(`erp.command.update has no {modules} placeholder: add it where the ERP takes the modules to update, e.g. "-u", "{modules}"`)
	}
	if len(c.Health) > 0 && strings.TrimSpace(c.Health[0]) == "" {
		return errors.New("erp.command.health: the program is empty: give a command that exits 0 when the server is healthy")
	}
	return nil
}

// checkDatabaseURL accepts sqlite:///ABSOLUTE/PATH and postgres(ql)://…/NAME.
func checkDatabaseURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case s == "":
		return errors.New("erp.command.database is empty: give the ERP database as sqlite:///path/to/file or postgresql://USER@HOST:PORT/NAME")
	case err != nil:
		return fmt.Errorf("erp.command.database does not parse: %w; write sqlite:///path/to/file or postgresql://USER@HOST:PORT/NAME", err)
	case u.Scheme == "sqlite" && (u.Host != "" || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") || len(u.Path) < 2):
		return fmt.Errorf("erp.command.database = %q: write an absolute path after sqlite:// (three slashes: sqlite:///var/lib/erp/erp.sqlite)", s)
	case (u.Scheme == "postgres" || u.Scheme == "postgresql") && strings.Trim(u.Path, "/") == "":
		return fmt.Errorf("erp.command.database = %s: name the database as the URL's path, e.g. postgresql://odoo@localhost:5432/erp", u.Redacted())
	case u.Scheme != "sqlite" && u.Scheme != "postgres" && u.Scheme != "postgresql":
		return fmt.Errorf("erp.command.database: scheme %q is not supported: use sqlite:///path or postgresql://…", u.Scheme)
	}
	return nil
}

// Apply tunes the apply procedure.
type Apply struct {
	ScriptTimeout Duration `toml:"script_timeout"` // per pre/post script; default 10m
	UpdateTimeout Duration `toml:"update_timeout"` // the ERP's own update; default 2h
	HealthTimeout Duration `toml:"health_timeout"` // deadline for the server to become healthy; default 2m
}

// Duration is a time.Duration written as "30s", "10m" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as \"30s\" or \"10m\"", b)
	}
	if v <= 0 {
		return fmt.Errorf("%q: give a positive duration", b)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as Go does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.Duration.String()), nil }

// Demo locates a demo ERP instance.
type Demo struct {
	Dir     string   `toml:"dir"`
	URL     string   `toml:"url"`     // the running server's base URL; default http://127.0.0.1:8069
	Command []string `toml:"command"` // the demo-erp program; default demo-erp next to upkeep, else on PATH
}

// Tryton locates a Tryton 6.0 instance (package agent/erp/tryton).
type Tryton struct {
	TrytondConf string   `toml:"trytond_conf"`
	Database    string   `toml:"database"`
	Python      string   `toml:"python"`
	PythonPath  []string `toml:"python_path"` // further PYTHONPATH entries, after modules_overlay
	// ModulesOverlay is the module overlay the agent controls: the first
	// PYTHONPATH entry of trytond, trytond-admin and trytond-console,
	// holding trytond/modules/<module> (built by the setup). Needed to apply.
	ModulesOverlay string `toml:"modules_overlay"`
	URL            string `toml:"url"`           // the server's JSON-RPC root; default from [web] listen
	User           string `toml:"user"`          // with password_file: the health check logs in
	PasswordFile   string `toml:"password_file"` // the first line is user's password
	PGBackup       string `toml:"pg_backup"`     // PostgreSQL backups: "pg-template" (default) or "pg-dump"
}

// Check checks the keys of [erp.tryton]; the error names the key and the fix.
func (t Tryton) Check() error {
	if t.TrytondConf == "" || t.Database == "" {
		return errors.New("erp.tryton needs trytond_conf (the trytond.conf path) and database (the database name)")
	}
	if t.ModulesOverlay != "" && (!filepath.IsAbs(t.ModulesOverlay) || filepath.Clean(t.ModulesOverlay) == "/") {
		return fmt.Errorf("erp.tryton.modules_overlay = %q: give a folder of its own for the overlay, e.g. /var/lib/upkeep/tryton-overlay", t.ModulesOverlay)
	}
	if u, err := url.Parse(t.URL); t.URL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
		return fmt.Errorf("erp.tryton.url = %q: give the server's address, e.g. http://127.0.0.1:8000/, or leave it out to use [web] listen", t.URL)
	}
	if (t.User == "") != (t.PasswordFile == "") {
		return errors.New("erp.tryton.user and password_file go together: set both for the logged-in health check, or neither")
	}
	if t.PGBackup != "" && t.PGBackup != "pg-template" && t.PGBackup != "pg-dump" {
		return fmt.Errorf(`erp.tryton.pg_backup = %q: use "pg-template" (a clone on the same cluster) or "pg-dump"`, t.PGBackup)
	}
	return nil
}

// Repository is the central repository the agent trusts.
type Repository struct {
	URL           string    `toml:"url"`
	TrustedRoot   string    `toml:"trusted_root"`
	Subscriptions []string  `toml:"subscriptions"` // empty: the installed core's series and newer
	Private       []Private `toml:"private"`       // further repositories with their own URL and credentials
	Deadlines     Deadlines `toml:"deadlines"`     // how slow a download may be before it is given up
}

// Deadlines bound every download from the repositories; zero keys take
// the defaults.
type Deadlines struct {
	Connect  Duration `toml:"connect"`   // opening a connection, TLS included; default 15s
	MinSpeed int64    `toml:"min_speed"` // bytes per second, averaged over each window; default 1024
	Window   Duration `toml:"window"`    // default 30s; the wait for the first bytes counts in the first window
	Grace    Duration `toml:"grace"`     // each download must end within grace + its expected size / min_speed; default 60s
}

// Private is a repository served elsewhere (a partner's or the company's own
// central repository), with its own trusted root and credentials.
type Private struct {
	Name        string `toml:"name"`         // the repository's name on that server
	URL         string `toml:"url"`          // its base URL
	TrustedRoot string `toml:"trusted_root"` // that server's root.json
	TokenFile   string `toml:"token_file"`   // optional: a file holding the bearer token sent with every request
}

// Policy is what the scan may propose.
type Policy struct {
	MinMaturityInstall string            `toml:"min_maturity_install"`
	MinMaturityUpdate  string            `toml:"min_maturity_update"`
	Maturity           map[string]string `toml:"maturity"` // per-module minimum
}

// API is the local API the CLI and the tray use: a unix socket (a named
// pipe on Windows). Anyone who can open it may read; root and members of
// AdminGroup may act (scan, apply, rehearse, override, hold, settings).
type API struct {
	Socket     string `toml:"socket"`      // default /run/upkeep/upkeep.sock (\\.\pipe\upkeep on Windows)
	Group      string `toml:"group"`       // the socket's group (mode 0660): its members may connect; default root's only
	AdminGroup string `toml:"admin_group"` // members may act as root does; default none
}

func (a API) validate() error {
	if a.Socket != "" && !filepath.IsAbs(a.Socket) {
		return fmt.Errorf("api.socket = %q: give an absolute path such as /run/upkeep/upkeep.sock", a.Socket)
	}
	return nil
}

// State is where the agent keeps its own data.
type State struct {
	Dir string `toml:"dir"`
}

// Schedule is when the service scans and what it does on its own
// (agent/schedule; checked in schedule.go).
type Schedule struct {
	Every   Duration       `toml:"every"`   // scan period; default 6h (or give cron)
	Cron    string         `toml:"cron"`    // a cron expression instead of every, e.g. "0 3 * * *"
	Jitter  Duration       `toml:"jitter"`  // random delay after each tick; default 30m (a quarter of a shorter period)
	Windows []string       `toml:"windows"` // maintenance windows, e.g. ["Sat 02:00-04:00", "Mon-Fri 22:00-23:30"]
	Policy  SchedulePolicy `toml:"policy"`
}

// SchedulePolicy is what the schedule does with each kind of change:
// "notify", "stage" (download and stage) or "apply" (patches only, inside a
// maintenance window).
type SchedulePolicy struct {
	Patches          string `toml:"patches"`           // default notify
	Updates          string `toml:"updates"`           // notify or stage; default notify
	Upgrades         string `toml:"upgrades"`          // notify or stage; default notify
	Security         string `toml:"security"`          // patches and updates fixing a security advisory: notify (at once, urgent; the default) or apply (inside a maintenance window)
	RequireRehearsal bool   `toml:"require_rehearsal"` // every apply needs a passed rehearsal of the same plan: a silent one rehearses first, upkeep apply refuses
}

// Notify is where events are sent besides the log and the tray.
type Notify struct {
	WebhookURL        string `toml:"webhook_url"`         // JSON POST of each batch of events
	WebhookSecretFile string `toml:"webhook_secret_file"` // optional: HMAC-SHA256 key signing each POST
	SMTP              SMTP   `toml:"smtp"`
}

// SMTP is the mail server that carries the e-mail report.
type SMTP struct {
	Host         string   `toml:"host"`
	Port         int      `toml:"port"` // default 25; 587 for submission
	From         string   `toml:"from"`
	To           []string `toml:"to"`
	User         string   `toml:"user"`          // optional: authenticate (after STARTTLS)
	PasswordFile string   `toml:"password_file"` // the password, in a file readable only by the agent
}

// Load reads and validates the file at path. Relative paths inside it are
// taken relative to the file's folder.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read configuration: %w: create it from docs/examples/tryton.toml or odoo.toml (upkeep config check then checks it), "+
				"or point to it with --config; to try Upkeep first, upkeep demo sets up everything in a folder of its own", err)
		}
		return nil, fmt.Errorf("read configuration: %w (point to a readable file with --config)", err)
	}
	c, err := Parse(data, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.path = path
	return c, nil
}

// Parse reads a configuration; base resolves relative paths.
func Parse(data []byte, base string) (*Config, error) {
	c := &Config{}
	md, err := toml.Decode(string(data), c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("line %d: %s", pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("%w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		sort.Strings(keys)
		return nil, fmt.Errorf("unknown key %s: check the spelling against docs/CONFIGURATION.md", strings.Join(keys, ", "))
	}
	c.defaults(base)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) defaults(base string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	if c.Policy.MinMaturityInstall == "" {
		c.Policy.MinMaturityInstall = "confirmed-stable"
	}
	if c.Policy.MinMaturityUpdate == "" {
		c.Policy.MinMaturityUpdate = "confirmed-stable"
	}
	if c.ERP.Tryton.Python == "" {
		c.ERP.Tryton.Python = "/usr/bin/python3"
	}
	c.Apply.defaults()
	c.Schedule.defaults()
	c.Rehearsal.defaults(base)
	abs(&c.Notify.WebhookSecretFile)
	abs(&c.Notify.SMTP.PasswordFile)
	if c.State.Dir == "" {
		c.State.Dir = "/var/lib/upkeep"
	}
	for _, p := range []*string{&c.ERP.Demo.Dir, &c.ERP.Tryton.TrytondConf, &c.ERP.Tryton.ModulesOverlay, &c.ERP.Tryton.PasswordFile, &c.Repository.TrustedRoot, &c.State.Dir,
		&c.ERP.Server.PIDFile, &c.ERP.Server.Log, &c.ERP.Command.ModulesDir} {
		abs(p)
	}
	for i := range c.Repository.Private {
		abs(&c.Repository.Private[i].TrustedRoot)
		abs(&c.Repository.Private[i].TokenFile)
	}
	for i := range c.ERP.Tryton.PythonPath {
		abs(&c.ERP.Tryton.PythonPath[i])
	}
	if strings.HasPrefix(c.Repository.URL, "file://") && !strings.HasPrefix(c.Repository.URL, "file:///") {
		c.Repository.URL = "file://" + filepath.Join(base, strings.TrimPrefix(c.Repository.URL, "file://"))
	}
}

// Path is the file the configuration came from ("" when parsed from bytes).
func (c *Config) Path() string { return c.path }

// Validate checks every value; the error names the key and the fix.
func (c *Config) Validate() error {
	for _, check := range []func() error{c.validateERP, c.validateRepository, c.validatePolicy, c.API.validate, c.Schedule.validate, c.Notify.validate, c.validateRehearsal} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateERP() error {
	switch c.ERP.Kind {
	case "demo":
		if c.ERP.Demo.Dir == "" {
			return errors.New("erp.demo.dir is empty: give the demo ERP instance's folder")
		}
	case "tryton":
		if err := c.ERP.Tryton.Check(); err != nil {
			return err
		}
	case "command":
		if err := c.ERP.Command.Check(); err != nil {
			return err
		}
		if len(c.ERP.Command.Health) == 0 && len(c.ERP.Health) == 0 {
			return errors.New("erp.command.health is empty and there is no [[erp.health]] check: say how to tell that the ERP's server is healthy, e.g. health = [\"curl\", \"-fsS\", \"http://127.0.0.1:8069/web/health\"]")
		}
	case "odoo":
		return c.ERP.Odoo.Check()
	case "":
		return errors.New(`erp.kind is missing: say "demo", "tryton", "odoo" or "command"`)
	default:
		return fmt.Errorf(`erp.kind = %q: unknown ERP kind; use "demo", "tryton", "odoo" or "command"`, c.ERP.Kind)
	}
	return nil
}

func (c *Config) validateRepository() error {
	r := c.Repository
	u, err := url.Parse(r.URL)
	if r.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") {
		return fmt.Errorf("repository.url = %q: give the central repository's http(s):// URL, or file:///path of an exported copy", r.URL)
	}
	if r.TrustedRoot == "" {
		return errors.New("repository.trusted_root is empty: give the path of the repository's root.json (printed by 'upkeep-repo init')")
	}
	for _, s := range r.Subscriptions {
		if _, err := catalog.ParseSeries(s); err != nil && catalog.ValidateModuleName(s) != nil {
			return fmt.Errorf("repository.subscriptions: %q is not a repository name such as \"2.50\"", s)
		}
	}
	for i, p := range r.Private {
		if err := validatePrivate(p); err != nil {
			return fmt.Errorf("repository.private[%d]: %w", i, err)
		}
	}
	return r.Deadlines.validate()
}

func (d Deadlines) validate() error {
	for key, v := range map[string]time.Duration{"connect": d.Connect.Duration, "window": d.Window.Duration, "grace": d.Grace.Duration} {
		if v < 0 {
			return fmt.Errorf("repository.deadlines.%s = %q: give a positive duration such as \"30s\", or leave it out for the default", key, v)
		}
	}
	if d.MinSpeed < 0 {
		return fmt.Errorf("repository.deadlines.min_speed = %d: give bytes per second (default 1024), or leave it out", d.MinSpeed)
	}
	return nil
}

func validatePrivate(p Private) error {
	if _, err := catalog.ParseSeries(p.Name); err != nil && catalog.ValidateModuleName(p.Name) != nil {
		return fmt.Errorf("name = %q: give the repository's name on that server, e.g. \"2.50\"", p.Name)
	}
	u, err := url.Parse(p.URL)
	if p.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") {
		return fmt.Errorf("url = %q: give the repository's http(s):// or file:/// URL", p.URL)
	}
	if p.TrustedRoot == "" {
		return errors.New("trusted_root is empty: give that server's root.json")
	}
	return nil
}

func (c *Config) validatePolicy() error {
	p := c.Policy
	for key, v := range map[string]string{"min_maturity_install": p.MinMaturityInstall, "min_maturity_update": p.MinMaturityUpdate} {
		if _, err := catalog.ParseMaturity(v); err != nil {
			return fmt.Errorf("policy.%s: %w", key, err)
		}
	}
	for m, v := range p.Maturity {
		if err := catalog.ValidateModuleName(m); err != nil {
			return fmt.Errorf("policy.maturity: %w", err)
		}
		if _, err := catalog.ParseMaturity(v); err != nil {
			return fmt.Errorf("policy.maturity.%s: %w", m, err)
		}
	}
	return nil
}

func (a *Apply) defaults() {
	for _, d := range []struct {
		p *Duration
		v time.Duration
	}{{&a.ScriptTimeout, 10 * time.Minute}, {&a.UpdateTimeout, 2 * time.Hour}, {&a.HealthTimeout, 2 * time.Minute}} {
		if d.p.Duration == 0 {
			d.p.Duration = d.v
		}
	}
}
