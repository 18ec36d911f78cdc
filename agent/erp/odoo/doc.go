// Package odoo is the ERP adapter for Odoo (17.0 and its neighbours): ir_module_module and __manifest__.py for reading, odoo-bin -u as the ERP's user for updating, the database and its filestore backed up together.
package odoo
