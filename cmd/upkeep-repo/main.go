// Command upkeep-repo is Upkeep's central repository: it publishes module versions and serves signed per-repository indexes.
package main

import (
	"os"

	"github.com/upkeep-erp/upkeep/repo/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
