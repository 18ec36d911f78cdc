-- The demo ERP's model of arp (Advanced Receivables and Payables): its
-- settings (arp 1.4.0's post script sets dunning), invoices, menus and the
-- dunning job. Idempotent: it runs on every install and update of arp.
CREATE TABLE IF NOT EXISTS arp_settings (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	dunning  INTEGER NOT NULL DEFAULT 0,
	days_due INTEGER NOT NULL DEFAULT 30
);
CREATE TABLE IF NOT EXISTS arp_invoice (
	id         INTEGER PRIMARY KEY,
	partner_id INTEGER NOT NULL REFERENCES res_partner (id),
	amount     NUMERIC NOT NULL,
	due_date   TEXT NOT NULL,
	paid       INTEGER NOT NULL DEFAULT 0
);
INSERT OR IGNORE INTO arp_settings (id) VALUES (1);
INSERT OR IGNORE INTO ir_ui_menu (id, parent_id, name, module, sequence) VALUES
	(100, 3, 'Receivables', 'arp', 30),
	(101, 3, 'Payables', 'arp', 40);
INSERT OR IGNORE INTO ir_cron (id, name, module, schedule) VALUES
	(100, 'Send dunning letters', 'arp', 'daily');
