package cli

import (
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/fetch"
	"github.com/upkeep-erp/upkeep/agent/scanner"
)

// privateClient is a private repository's client and label
// (scanner.PrivateClient) with the command line's exit codes.
func privateClient(c *config.Config, p config.Private) (*fetch.Client, string, error) {
	cl, label, err := scanner.PrivateClient(c, p)
	return cl, label, scanCode(err)
}
