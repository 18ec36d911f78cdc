-- The demo ERP's model of localization-es: Spanish taxes and their menu.
-- Idempotent: it runs on every install and update of the module.
CREATE TABLE IF NOT EXISTS account_tax (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	rate NUMERIC NOT NULL
);
INSERT OR IGNORE INTO account_tax (id, name, rate) VALUES
	(1, 'IVA 21%', 21),
	(2, 'IVA 10%', 10),
	(3, 'IVA 4%', 4);
INSERT OR IGNORE INTO settings (key, value) VALUES ('country', 'ES');
INSERT OR IGNORE INTO ir_ui_menu (id, parent_id, name, module, sequence) VALUES
	(200, 3, 'Spanish taxes', 'localization-es', 50);
