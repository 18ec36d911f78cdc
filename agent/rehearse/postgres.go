package rehearse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"path/filepath"

	"github.com/upkeep-erp/upkeep/agent/erp/dbcopy"
)

// maxIdent is PostgreSQL's identifier length.
const maxIdent = 63

// CopyName returns the name of the copy of database live made for the
// rehearsal folder dir: live, "_upkeep_rehearsal_" and a hash of dir, cut
// to PostgreSQL's 63 bytes. The same folder always gives the same name, so
// a copy left by a crash is found from its folder alone.
func CopyName(live, dir string) string {
	sum := sha256.Sum256([]byte(filepath.Clean(dir)))
	suffix := "_upkeep_rehearsal_" + hex.EncodeToString(sum[:5])
	if len(live)+len(suffix) > maxIdent {
		live = live[:maxIdent-len(suffix)]
	}
	return live + suffix
}

// CopyURL returns liveURL with database name in place of its own.
func CopyURL(liveURL, name string) (string, error) {
	u, err := url.Parse(liveURL)
	if err != nil {
		return "", fmt.Errorf("the PostgreSQL URL does not parse: %w", err)
	}
	u.Path, u.RawPath = "/"+name, ""
	return u.String(), nil
}

// ClonePostgres copies the database of liveURL into a new database name on
// the same cluster without ending any session of it (dbcopy's CopyLive: a
// pg_dump snapshot written into dir and loaded by pg_restore).
func ClonePostgres(ctx context.Context, liveURL, name, dir string) error {
	return dbcopy.Postgres{URL: liveURL}.CopyLive(ctx, name, dir)
}

// DropPostgres drops database name on the cluster of liveURL, ending its
// sessions; a database that does not exist is success. It refuses to drop
// the live database itself.
func DropPostgres(ctx context.Context, liveURL, name string) error {
	return dbcopy.Postgres{URL: liveURL}.DropCopy(ctx, name)
}
