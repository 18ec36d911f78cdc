// Command upkeep is the agent on an ERP host and the admin's command line: it scans the central repository, plans and applies module changes safely.
package main

import (
	"os"

	"github.com/upkeep-erp/upkeep/agent/cli"
	democli "github.com/upkeep-erp/upkeep/demoerp/cli"
	"github.com/upkeep-erp/upkeep/quickstart"
)

func main() {
	// Hidden: `upkeep demo-erp ...` is the demo ERP's own command line, so
	// that `upkeep demo` needs no other program.
	if len(os.Args) > 1 && os.Args[1] == "demo-erp" {
		os.Exit(democli.Main(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(cli.Program{Demo: quickstart.Run}.Main(os.Args[1:], os.Stdout, os.Stderr))
}
