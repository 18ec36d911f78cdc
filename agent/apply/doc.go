// Package apply runs a plan on the ERP as a journaled procedure (preflight, download, stop, backup, scripts, file swap, update, start, health, record) that restores the instance exactly on any failure before the server is healthy and finishes an interrupted run after a crash.
package apply
