-- The demo ERP's model of warehouse: stock locations and their menu.
-- Idempotent: it runs on every install and update of the module.
CREATE TABLE IF NOT EXISTS stock_location (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL
);
INSERT OR IGNORE INTO stock_location (id, name) VALUES
	(1, 'Main warehouse'),
	(2, 'Returns');
INSERT OR IGNORE INTO ir_ui_menu (id, parent_id, name, module, sequence) VALUES
	(400, 1, 'Warehouse', 'warehouse', 40);
