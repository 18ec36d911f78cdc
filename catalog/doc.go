// Package catalog holds Upkeep's shared vocabulary: versions, dependencies, manifests, module archives and signed-repository listings, as pure logic with no I/O.
package catalog
