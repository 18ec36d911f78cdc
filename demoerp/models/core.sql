-- The demo ERP's model of core: partners, settings, menus, scheduled jobs and
-- outgoing mail servers. It runs on every install and update of core, before
-- the module's schema.sql, so every statement is idempotent.
CREATE TABLE IF NOT EXISTS res_partner (
	id     INTEGER PRIMARY KEY,
	name   TEXT NOT NULL,
	email  TEXT,
	city   TEXT,
	active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS settings (
	key   TEXT PRIMARY KEY,
	value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ir_ui_menu (
	id        INTEGER PRIMARY KEY,
	parent_id INTEGER REFERENCES ir_ui_menu (id),
	name      TEXT NOT NULL,
	module    TEXT NOT NULL,
	sequence  INTEGER NOT NULL DEFAULT 10,
	active    INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS ir_cron (
	id       INTEGER PRIMARY KEY,
	name     TEXT NOT NULL,
	module   TEXT NOT NULL,
	schedule TEXT NOT NULL,
	active   INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS ir_mail_server (
	id     INTEGER PRIMARY KEY,
	host   TEXT NOT NULL,
	port   INTEGER NOT NULL,
	active INTEGER NOT NULL DEFAULT 1
);
INSERT OR IGNORE INTO settings (key, value) VALUES
	('company_name', 'Demo Company S.L.'),
	('currency', 'EUR'),
	('fiscal_lock', 'off'),
	('date_format', '%Y-%m-%d');
INSERT OR IGNORE INTO ir_ui_menu (id, parent_id, name, module, sequence) VALUES
	(1, NULL, 'Home', 'core', 1),
	(2, 1, 'Contacts', 'core', 10),
	(3, 1, 'Accounting', 'core', 20),
	(4, 3, 'Fiscal periods', 'core', 10),
	(5, 1, 'Settings', 'core', 90);
INSERT OR IGNORE INTO ir_cron (id, name, module, schedule) VALUES
	(1, 'Clean old sessions', 'core', 'daily');
INSERT OR IGNORE INTO ir_mail_server (id, host, port) VALUES
	(1, 'smtp.example.com', 587);
