package dbcopy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// CopyLive copies the live database into a new database name on the same
// cluster without ending any session of it (a template clone would have
// to, and would disturb the running ERP): pg_dump's consistent snapshot
// is written into dir, loaded into name by pg_restore in one transaction,
// then removed. The copy gets live's owner, encoding, locale, settings and
// privileges. A database name left by an earlier attempt is dropped first.
// It is the rehearsal's copy, made while production runs.
func (p Postgres) CopyLive(ctx context.Context, name, dir string) error {
	_, live, err := p.live()
	if err != nil {
		return err
	}
	if name == "" || name == live {
		return fmt.Errorf("dbcopy: the copy's name %q must differ from the live database %q", name, live)
	}
	conn, err := p.admin(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	props, err := readProps(ctx, conn, live)
	if err != nil {
		return err
	}
	if err := dropDatabase(ctx, conn, name); err != nil {
		return err
	}
	if err := exec1(ctx, conn, "CREATE DATABASE "+ident(name)+" TEMPLATE template0"+props.createOptions()); err != nil {
		return err
	}
	if err := props.apply(ctx, conn, name); err != nil {
		return err
	}
	dump := filepath.Join(dir, dumpFile)
	defer os.Remove(dump)
	if err := p.run(ctx, p.tool(p.PgDump, "pg_dump"), live, "-Fc", "-f", dump); err != nil {
		return fmt.Errorf("dbcopy: copy the database %s: %w", live, err)
	}
	if err := p.run(ctx, p.tool(p.PgRestore, "pg_restore"), name, "--exit-on-error", "--single-transaction", dump); err != nil {
		return fmt.Errorf("dbcopy: load the copy of %s into %s: %w", live, name, err)
	}
	return nil
}

// DropCopy drops database name on the live database's cluster, ending its
// sessions; one that does not exist is success. It refuses to drop the
// live database itself.
func (p Postgres) DropCopy(ctx context.Context, name string) error {
	_, live, err := p.live()
	if err != nil {
		return err
	}
	if name == "" || name == live {
		return fmt.Errorf("dbcopy: %q is the live database, not a copy: it is not dropped", name)
	}
	conn, err := p.admin(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	return dropDatabase(ctx, conn, name)
}
