//go:build race

package cli

// raceFlags build the upkeep program with the race detector when the
// tests run with it, so that the agent process is checked too.
var raceFlags = []string{"-race"}
