package command

import "github.com/upkeep-erp/upkeep/catalog"

// PyManifest is what Upkeep reads from an Odoo or OpenERP module manifest;
// the parser lives in catalog so that the repository can read it too.
type PyManifest = catalog.PyManifest

// ParsePyManifest reads an Odoo manifest (see catalog.ParsePyManifest).
func ParsePyManifest(src []byte) (PyManifest, error) { return catalog.ParsePyManifest(src) }
