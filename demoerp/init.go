package demoerp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/jmoiron/sqlx"
)

// InitOptions tunes Init.
type InitOptions struct {
	DemoData int       // demo partners to create
	Log      io.Writer // progress lines; nil for none
}

// Init creates the database of the instance in dir from the module folders
// in its addons: every module is installed, in dependency order. Exactly one
// must be the core. On failure no database is left behind.
func Init(ctx context.Context, dir string, o InitOptions) (err error) {
	if _, serr := os.Stat(DBPath(dir)); serr == nil {
		return fmt.Errorf("the database %s already exists: remove it to start over, or use another --dir", DBPath(dir))
	}
	mods, seq, err := planInit(dir)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, dir, "rwc")
	if err != nil {
		return err
	}
	defer func() {
		db.Close()
		if err != nil {
			os.Remove(DBPath(dir))
			os.Remove(DBPath(dir) + "-journal")
		}
	}()
	if _, err := db.ExecContext(ctx, platformSchema); err != nil {
		return fmt.Errorf("create ir_module_module: %w", err)
	}
	for _, name := range seq {
		if err := runModule(ctx, db, dir, name, mods[name], true); err != nil {
			return fmt.Errorf("install module %s: %w", name, err)
		}
		logf(o.Log, "%s: installed %s", name, mods[name].Version)
	}
	return seedPartners(ctx, db, o.DemoData)
}

// planInit reads the module folders, checks them and orders them.
func planInit(dir string) (code, []string, error) {
	mods, err := loadFolders(dir)
	if err != nil {
		return nil, nil, err
	}
	var cores []string
	for name, m := range mods {
		if m.Core {
			cores = append(cores, name)
		}
	}
	switch {
	case len(cores) == 0:
		return nil, nil, fmt.Errorf("no core module in %s: add the core module's folder (its upkeep.toml says core = true)", ModuleDir(dir, ""))
	case len(cores) > 1:
		return nil, nil, fmt.Errorf("several core modules in %s (%v): keep one", ModuleDir(dir, ""), cores)
	}
	seq, err := order(mods)
	if err != nil {
		return nil, nil, err
	}
	for _, name := range seq {
		if err := checkDeps(name, mods[name], mods); err != nil {
			return nil, nil, err
		}
	}
	return mods, seq, nil
}

// Demo partner names: combinations are deterministic, so two instances
// created with the same options hold the same data.
var (
	partnerNames = []string{"Acme", "Iberia", "Nordic", "Atlas", "Delta", "Orion", "Vega", "Sierra"}
	partnerKinds = []string{"Supplies", "Foods", "Logistics", "Textiles", "Metals"}
	partnerTowns = []string{"Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Zaragoza", "Málaga"}
)

// seedPartners inserts n demo partners.
func seedPartners(ctx context.Context, db *sqlx.DB, n int) error {
	if n < 0 {
		return errors.New("demo data: the number of partners is negative; give 0 or more")
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	for i := range n {
		name := fmt.Sprintf("%s %s %d", partnerNames[i%len(partnerNames)], partnerKinds[i%len(partnerKinds)], i+1)
		email := fmt.Sprintf("contact%d@example.com", i+1)
		if _, err := tx.ExecContext(ctx, `INSERT INTO res_partner (name, email, city) VALUES (?, ?, ?)`,
			name, email, partnerTowns[i%len(partnerTowns)]); err != nil {
			return fmt.Errorf("insert demo partner: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit demo partners: %w", err)
	}
	return nil
}
