// Package fetch downloads verified metadata and archives from a central repository: TUF-checked listings, conditional requests, size caps and timeouts.
package fetch
