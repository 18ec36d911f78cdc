//go:build !race

package cli

// raceFlags are empty without the race detector (see race_test.go).
var raceFlags []string
