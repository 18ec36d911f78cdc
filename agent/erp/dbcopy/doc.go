// Package dbcopy makes and restores verified copies of ERP databases, and checksums their content.
package dbcopy
