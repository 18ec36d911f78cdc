package host

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"

	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp/odoo"
	"github.com/upkeep-erp/upkeep/agent/erp/tryton"
	"github.com/upkeep-erp/upkeep/agent/fetch"
	"github.com/upkeep-erp/upkeep/platform"
)

// program is a program the agent will run, and the key that names it.
type program struct {
	key, path string
}

// Check looks at what the agent will use beyond the file's own syntax
// (config.Validate): every trusted root is a repository's root metadata,
// the API's groups exist, the state folder can be written by user (empty:
// this process's user), and the ERP's programs exist. It returns every
// problem found, each naming the key and the fix; `config check` prints
// them and `run` refuses to start on any.
func Check(c *config.Config, user string) []error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(checkRoot("repository.trusted_root", c.Repository.TrustedRoot))
	for i, p := range c.Repository.Private {
		add(checkRoot(fmt.Sprintf("repository.private[%d].trusted_root", i), p.TrustedRoot))
	}
	add(checkGroup("api.group", c.API.Group))
	add(checkGroup("api.admin_group", c.API.AdminGroup))
	add(CheckStateDir(c.State.Dir, user))
	for _, p := range programs(c) {
		add(checkProgram(p))
	}
	if a, ok := lookup(c.ERP.Kind); ok && a.checks != nil {
		errs = append(errs, a.checks(c)...)
	}
	return errs
}

func checkRoot(key, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s = %q: %w; copy the repository's root.json there", key, path, err)
	}
	if err := fetch.CheckTrustedRoot(data); err != nil {
		return fmt.Errorf("%s = %q: %w", key, path, err)
	}
	return nil
}

func checkGroup(key, name string) error {
	if name == "" {
		return nil
	}
	if _, err := user.LookupGroup(name); err != nil {
		return fmt.Errorf("%s = %q: there is no such group on this host: create it (groupadd %s) or name an existing one", key, name, name)
	}
	return nil
}

// CheckStateDir says whether user ("": this process's) can write the
// state folder, in the admin's words.
func CheckStateDir(dir, user string) error {
	if err := platform.WritableBy(dir, user); err != nil {
		who := "the agent's user"
		if user != "" {
			who = user
		}
		return fmt.Errorf("state.dir = %q: %s must be able to write there (%v): give %s the folder (chown), or choose another state.dir", dir, who, err, who)
	}
	return nil
}

func checkProgram(p program) error {
	if _, err := exec.LookPath(p.path); err != nil {
		return fmt.Errorf("%s: the program %q cannot be run (%v): install it, or give its full path", p.key, p.path, err)
	}
	return nil
}

// programs are the programs the agent will run for c's ERP: its server
// control's, then the adapter's.
func programs(c *config.Config) []program {
	var out []program
	s := c.ERP.Server
	switch {
	case s.SystemdUnit != "":
		out = append(out, program{"erp.server.systemd_unit (systemctl)", "systemctl"})
	case len(s.Start) > 0:
		out = append(out, program{"erp.server.start", s.Start[0]})
	}
	if len(s.Stop) > 0 {
		out = append(out, program{"erp.server.stop", s.Stop[0]})
	}
	if a, ok := lookup(c.ERP.Kind); ok && a.programs != nil {
		out = append(out, a.programs(c)...)
	}
	return out
}

// commandPrograms are an OpenERP-style ERP's update and health commands.
func commandPrograms(c *config.Config) []program {
	out := []program{{"erp.command.update", c.ERP.Command.Update[0]}}
	if len(c.ERP.Command.Health) > 0 {
		out = append(out, program{"erp.command.health", c.ERP.Command.Health[0]})
	}
	return out
}

// demoPrograms is the demo ERP's command, when one is set.
func demoPrograms(c *config.Config) []program {
	if len(c.ERP.Demo.Command) == 0 {
		return nil
	}
	return []program{{"erp.demo.command", c.ERP.Demo.Command[0]}}
}

// odooPrograms are the Python that runs odoo-bin, and odoo-bin.
func odooPrograms(c *config.Config) []program {
	python := c.ERP.Odoo.Python
	if python == "" {
		python = odoo.DefaultPython
	}
	return []program{{"erp.odoo.python", python}, {"erp.odoo.odoo_bin", c.ERP.Odoo.OdooBin}}
}

// odooChecks reads Odoo's configuration file and checks the folders
// erp.user must write.
func odooChecks(c *config.Config) []error {
	a, err := odoo.New(odooConfig(c, nil))
	if err != nil {
		return []error{err}
	}
	return a.CheckSetup(c.ERP.Server.PIDFile)
}

// trytonPrograms are trytond-admin and the Python that runs Tryton.
func trytonPrograms(c *config.Config) []program {
	return []program{{"erp.tryton (trytond-admin, from the tryton-server package)", tryton.DefaultAdmin},
		{"erp.tryton.python", c.ERP.Tryton.Python}}
}
