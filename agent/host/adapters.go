package host

import (
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/command"
	"github.com/upkeep-erp/upkeep/agent/erp/demo"
	"github.com/upkeep-erp/upkeep/agent/erp/odoo"
	"github.com/upkeep-erp/upkeep/agent/erp/tryton"
)

// adapter opens one kind of ERP for the agent.
type adapter struct {
	// reader opens the read side: the installed modules, for scans.
	reader func(c *config.Config) (erp.Reader, error)
	// writer opens the write side; srv stops and starts the ERP's server
	// as [erp.server] says.
	writer func(c *config.Config, srv erp.Server) (erp.Writer, error)
	// programs lists the programs the adapter will run, for Check (nil:
	// none of its own).
	programs func(c *config.Config) []program
	// checks lists what else keeps the adapter from working here, for
	// Check (nil: nothing).
	checks func(c *config.Config) []error
}

// adapters are the ERP adapters by erp.kind, sorted (a test keeps them
// so): the one place an adapter registers. config.Config.Validate checks
// the adapter's own section.
var adapters = []struct {
	kind string
	adapter
}{
	{"command", adapter{reader: commandReader, writer: commandWriter, programs: commandPrograms}},
	{"demo", adapter{reader: demoReader, writer: demoWriter, programs: demoPrograms}},
	{"odoo", adapter{reader: odooReader, writer: odooWriter, programs: odooPrograms, checks: odooChecks}},
	{"tryton", adapter{reader: trytonReader, writer: trytonWriter, programs: trytonPrograms}},
}

// lookup returns the adapter of kind.
func lookup(kind string) (adapter, bool) {
	for _, a := range adapters {
		if a.kind == kind {
			return a.adapter, true
		}
	}
	return adapter{}, false
}

// commandReader reads an OpenERP-style ERP through its commands, which
// need the server control too.
func commandReader(c *config.Config) (erp.Reader, error) {
	srv, err := serverControl(c.ERP.Server)
	if err != nil {
		return nil, err
	}
	return commandWriter(c, srv)
}

// commandWriter drives an OpenERP-style ERP through its commands.
func commandWriter(c *config.Config, srv erp.Server) (erp.Writer, error) {
	return command.New(c.ERP.Command, srv)
}

// demoReader reads the demo ERP's instance folder.
func demoReader(c *config.Config) (erp.Reader, error) {
	return demo.New(demo.Config{Dir: c.ERP.Demo.Dir})
}

// demoWriter drives the demo ERP.
func demoWriter(c *config.Config, srv erp.Server) (erp.Writer, error) {
	d := c.ERP.Demo
	return demo.NewWriter(demo.Config{Dir: d.Dir, URL: d.URL, Command: d.Command, Server: srv})
}

// odooReader reads an Odoo server's database and addons path.
func odooReader(c *config.Config) (erp.Reader, error) {
	return odoo.New(odooConfig(c, nil))
}

// odooWriter drives an Odoo server: odoo-bin -u as erp.user, the
// database and its filestore backed up together.
func odooWriter(c *config.Config, srv erp.Server) (erp.Writer, error) {
	return odoo.New(odooConfig(c, srv))
}

// odooConfig is [erp.odoo] with erp.user and the server control.
func odooConfig(c *config.Config, srv erp.Server) odoo.Config {
	o := c.ERP.Odoo
	return odoo.Config{OdooBin: o.OdooBin, Python: o.Python, ConfFile: o.Config, Database: o.Database, ModulesDir: o.ModulesDir,
		User: c.ERP.User, URL: o.URL, Login: o.Login, PasswordFile: o.PasswordFile, PGBackup: o.PGBackup, Server: srv}
}

// trytonReader reads a Tryton 6.0 instance.
func trytonReader(c *config.Config) (erp.Reader, error) {
	return tryton.New(trytonConfig(c.ERP.Tryton))
}

// trytonWriter drives a Tryton 6.0 instance: module versions on its
// overlay (built by upkeep setup), trytond-admin for the update.
func trytonWriter(c *config.Config, srv erp.Server) (erp.Writer, error) {
	t := c.ERP.Tryton
	return tryton.NewWriter(tryton.WriterConfig{Config: trytonConfig(t), Server: srv, URL: t.URL,
		User: t.User, PasswordFile: t.PasswordFile, PGBackup: t.PGBackup})
}

// trytonConfig locates the Tryton instance [erp.tryton] names; its module
// overlay comes first on the PYTHONPATH, for the reader as for the writer.
func trytonConfig(t config.Tryton) tryton.Config {
	return tryton.Config{TrytondConf: t.TrytondConf, Database: t.Database, Python: t.Python,
		Overlay: t.ModulesOverlay, PythonPath: t.PythonPath}
}
