// Package platform holds the operating-system differences Upkeep needs, one exported function over per-OS files.
package platform
