// Command upkeep is the agent on an ERP host and the admin's command line: it scans the central repository, plans and applies module changes safely.
package main

import (
	"os"

	"github.com/upkeep-erp/upkeep/agent/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
