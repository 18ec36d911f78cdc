// Command demo-erp is a tiny OpenERP-style ERP for Upkeep's demos and tests.
package main

import (
	"os"

	"github.com/upkeep-erp/upkeep/demoerp/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
