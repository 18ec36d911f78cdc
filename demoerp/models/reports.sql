-- The demo ERP's model of reports: report definitions and their menu.
-- Idempotent: it runs on every install and update of the module.
CREATE TABLE IF NOT EXISTS report (
	id    INTEGER PRIMARY KEY,
	name  TEXT NOT NULL,
	model TEXT NOT NULL
);
INSERT OR IGNORE INTO report (id, name, model) VALUES
	(1, 'Partner list', 'res_partner'),
	(2, 'Open items', 'arp_invoice');
INSERT OR IGNORE INTO ir_ui_menu (id, parent_id, name, module, sequence) VALUES
	(300, 1, 'Reports', 'reports', 80);
