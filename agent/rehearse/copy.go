// Package rehearse holds what the ERP adapters' Clone methods share to make a rehearsal copy without touching production: a consistent snapshot of a live SQLite or PostgreSQL database, a copy of module folders, a free loopback port and command templates.
package rehearse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // the SQLite driver
)

// SnapshotSQLite writes a consistent copy of the SQLite database at live
// to dst, which must not exist, through a read-only connection (VACUUM
// INTO): the ERP's server may keep running and writing, and nothing of
// live changes. The copy must pass PRAGMA integrity_check.
func SnapshotSQLite(ctx context.Context, live, dst string) error {
	if _, err := os.Stat(live); err != nil {
		return fmt.Errorf("copy the database: %w; check the ERP's database path", err)
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("copy the database: %s already exists: give an empty folder for the copy", dst)
	}
	src, err := sqlx.Open("sqlite3", dsn(live, "mode=ro&_busy_timeout=30000"))
	if err != nil {
		return fmt.Errorf("copy the database: open %s: %w", live, err)
	}
	defer src.Close()
	if _, err := src.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		os.Remove(dst)
		return fmt.Errorf("copy the database %s (VACUUM INTO %s): %w; is there room in the copy's folder?", live, dst, err)
	}
	cp, err := sqlx.Open("sqlite3", dsn(dst, "mode=ro"))
	if err != nil {
		return fmt.Errorf("check the copy: open %s: %w", dst, err)
	}
	defer cp.Close()
	var problems []string
	if err := cp.SelectContext(ctx, &problems, "PRAGMA integrity_check"); err != nil {
		return fmt.Errorf("check the copy %s: PRAGMA integrity_check: %w", dst, err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		return fmt.Errorf("check the copy %s: PRAGMA integrity_check: %s; check the live database with sqlite3 %s 'PRAGMA integrity_check'",
			dst, strings.Join(problems, "; "), live)
	}
	return nil
}

// dsn returns the go-sqlite3 URI of the file at path with params.
func dsn(path, params string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive path: file:///C:/...
	}
	return "file://" + (&url.URL{Path: p}).EscapedPath() + "?" + params
}

// CopyTree copies the folder src to dst, which must not exist: folders,
// regular files with their permission bits, and symbolic links as links.
// Any other kind of file (a socket, a device) is refused.
func CopyTree(src, dst string) error {
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("copy %s: %s already exists: give an empty folder for the copy", src, dst)
	}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		return copyEntry(p, filepath.Join(dst, rel), d)
	})
	if err != nil {
		return fmt.Errorf("copy the module folders %s to %s: %w", src, dst, err)
	}
	return nil
}

// copyEntry copies one entry of a tree.
func copyEntry(src, dst string, d fs.DirEntry) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	switch {
	case d.IsDir():
		return os.Mkdir(dst, info.Mode().Perm()|0o700)
	case d.Type()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	case d.Type().IsRegular():
		return copyFile(src, dst, info.Mode().Perm())
	}
	return fmt.Errorf("%s is a %s, not a file or folder: remove it from the module folders", src, d.Type())
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Close())
}

// FreeLoopbackAddr returns "127.0.0.1:PORT" with a port that is free now.
func FreeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free loopback port for the rehearsal server: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// placeholder matches a {name} left in an argument.
var placeholder = regexp.MustCompile(`\{([a-z_]+)\}`)

// Expand replaces each {name} of vars in every argument of argv, leaving
// the placeholders named in keep as they are; any other {name} is an error
// that names it.
func Expand(argv []string, vars map[string]string, keep ...string) ([]string, error) {
	out := make([]string, len(argv))
	for i, a := range argv {
		for _, m := range placeholder.FindAllStringSubmatch(a, -1) {
			if _, ok := vars[m[1]]; !ok && !slices.Contains(keep, m[1]) {
				return nil, fmt.Errorf("argument %q: placeholder %s is unknown: use %s", a, m[0], placeholderList(vars))
			}
		}
		for k, v := range vars {
			a = strings.ReplaceAll(a, "{"+k+"}", v)
		}
		out[i] = a
	}
	return out, nil
}

func placeholderList(vars map[string]string) string {
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, "{"+k+"}")
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
