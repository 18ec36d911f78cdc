package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Rehearsal says where `upkeep rehearse` runs a plan: on a throwaway copy
// of the ERP (the default), or on a permanent test instance.
type Rehearsal struct {
	// TestInstance is a permanent test instance, with the keys of [erp]
	// (kind, demo, tryton, command, server, health): when set, rehearsals
	// run there instead of on copies, and put it back as it was after each.
	TestInstance *ERP `toml:"test_instance"`
}

// RehearsalCommand ([erp.command.rehearsal]) holds the command lines of a
// command ERP's rehearsal copy (argv, no shell), with the copy's
// placeholders RehearsalPlaceholders. Without it, a command ERP rehearses
// only on a test instance.
type RehearsalCommand struct {
	// Start runs the copy's server in the foreground; it must write its
	// process id to {pidfile} and listen on {port}.
	Start []string `toml:"start"`
	// Update is the ERP's update on the copy: erp.command.update's
	// placeholders ({modules}, {install}, {disable}) and the copy's.
	Update []string `toml:"update"`
	// Health is optional: a command that exits 0 when the copy's server is healthy.
	Health []string `toml:"health"`
}

// RehearsalPlaceholders are what a rehearsal copy's command lines may
// name: its server's port, its folder, its database (the name, or the
// SQLite file), its database URL, its modules folder and its pidfile.
var RehearsalPlaceholders = []string{"port", "dir", "database", "database_url", "modules_dir", "pidfile"}

// updatePlaceholders are the update command's own.
var updatePlaceholders = []string{"modules", "install", "disable"}

var placeholderRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// Set reports whether the copy's command lines are configured.
func (r RehearsalCommand) Set() bool { return len(r.Start)+len(r.Update)+len(r.Health) > 0 }

func (r *Rehearsal) defaults(base string) {
	t := r.TestInstance
	if t == nil {
		return
	}
	for _, p := range []*string{&t.Demo.Dir, &t.Tryton.TrytondConf, &t.Tryton.ModulesOverlay, &t.Tryton.PasswordFile,
		&t.Server.PIDFile, &t.Server.Log, &t.Command.ModulesDir} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(base, *p)
		}
	}
	if t.Tryton.Python == "" {
		t.Tryton.Python = "/usr/bin/python3"
	}
}

// validateRehearsal checks [rehearsal]; the error names the key and the fix.
func (c *Config) validateRehearsal() error {
	r := c.Rehearsal
	if rc := c.ERP.Command.Rehearsal; c.ERP.Kind == "command" && rc.Set() {
		if err := rc.check(); err != nil {
			return err
		}
	}
	if r.TestInstance == nil {
		return nil
	}
	if err := (&Config{ERP: *r.TestInstance}).validateERP(); err != nil {
		return fmt.Errorf("rehearsal.test_instance: %w (the keys are those of [erp], under [rehearsal.test_instance])", err)
	}
	if sameInstance(c.ERP, *r.TestInstance) {
		return errors.New("rehearsal.test_instance names the production ERP itself: give a separate test instance (its own folder or database and server), or remove the section to rehearse on throwaway copies")
	}
	return nil
}

func (r RehearsalCommand) check() error {
	for _, k := range []struct {
		key  string
		argv []string
	}{{"start", r.Start}, {"update", r.Update}, {"health", r.Health}} {
		if k.key != "health" && (len(k.argv) == 0 || strings.TrimSpace(k.argv[0]) == "") {
			return fmt.Errorf(`erp.command.rehearsal.%s is empty: give it, e.g. start = ["/opt/odoo/odoo-bin", "-c", "/etc/odoo/odoo.conf", "-d", "{database}", "--http-port={port}", "--pidfile={pidfile}"]`, k.key)
		}
		allowed := RehearsalPlaceholders
		if k.key == "update" {
			allowed = slices.Concat(allowed, updatePlaceholders)
		}
		for _, a := range k.argv {
			for _, m := range placeholderRE.FindAllStringSubmatch(a, -1) {
				if !slices.Contains(allowed, m[1]) {
					return fmt.Errorf("erp.command.rehearsal.%s: %s is not a placeholder: use {%s}", k.key, m[0], strings.Join(allowed, "}, {"))
				}
			}
		}
	}
	if !strings.Contains(strings.Join(r.Update, "\x00"), "{modules}") {
		return errors.New(`erp.command.rehearsal.update has no {modules} placeholder: write it as erp.command.update, aimed at the copy ({database}, {modules_dir})`)
	}
	return nil
}

// TestInstanceConfig returns the configuration with the test instance as
// its ERP, or nil when rehearsals run on throwaway copies.
func (c *Config) TestInstanceConfig() *Config {
	if c.Rehearsal.TestInstance == nil {
		return nil
	}
	tc := *c
	tc.ERP = *c.Rehearsal.TestInstance
	return &tc
}

// TestInstanceHealth are the test instance's [[rehearsal.test_instance.health]] checks.
func (r Rehearsal) TestInstanceHealth() []HealthCheck {
	if r.TestInstance == nil {
		return nil
	}
	return r.TestInstance.Health
}

// sameInstance reports whether two ERP sections name the same instance.
func sameInstance(a, b ERP) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case "demo":
		return filepath.Clean(a.Demo.Dir) == filepath.Clean(b.Demo.Dir)
	case "tryton":
		return a.Tryton.TrytondConf == b.Tryton.TrytondConf && a.Tryton.Database == b.Tryton.Database
	case "command":
		return a.Command.Database == b.Command.Database || filepath.Clean(a.Command.ModulesDir) == filepath.Clean(b.Command.ModulesDir)
	}
	return false
}
