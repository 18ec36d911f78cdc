// Package dbcopy makes and restores verified copies of ERP databases, and checksums their content.
package dbcopy

// crashAt, set only by this package's crash tests (in a child process they
// then kill), is called at every boundary of a backup or a restore where
// a crash leaves the databases half-way.
var crashAt func(boundary string)

func boundary(name string) {
	if crashAt != nil {
		crashAt(name)
	}
}
