// Package repo is Upkeep's central repository: a SQLite store of module versions placed into repositories by core series, dependency extension, TUF-signed metadata and the HTTP server that carries it.
package repo
