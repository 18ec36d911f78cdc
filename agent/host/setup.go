package host

import (
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp/tryton"
)

// DefaultTrytond is the system trytond package a Tryton overlay links to
// unless upkeep setup is told another.
const DefaultTrytond = tryton.DebianTrytond

// TrytonOverlay builds or completes the module overlay
// erp.tryton.modules_overlay from the system trytond package folder
// system, and returns the links it added.
func TrytonOverlay(c *config.Config, system string) ([]string, error) {
	return tryton.EnsureOverlay(c.ERP.Tryton.ModulesOverlay, system)
}

// TrytonServerCommand is the command that runs trytond on the overlay
// and writes its pid to pidfile, for erp.server.start.
func TrytonServerCommand(c *config.Config, pidfile string) []string {
	return tryton.ServerCommand(trytonConfig(c.ERP.Tryton), pidfile, "")
}
