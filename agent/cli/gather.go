package cli

import (
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/fetch"
	"github.com/upkeep-erp/upkeep/agent/scanner"
)

// client is the verified client of a series repository (scanner.Client)
// with the command line's exit codes.
func client(c *config.Config, repository string) (*fetch.Client, error) {
	cl, err := scanner.Client(c, repository)
	return cl, scanCode(err)
}
