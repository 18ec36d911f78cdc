//go:build unix

package platform

import (
	"fmt"
	"os/user"
	"slices"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// WritableBy checks that username (empty: this process's user) may create
// files in dir, or in its nearest existing ancestor when dir does not exist
// yet. For this process's user it creates and removes a file; for another
// it reads the folder's owner and mode bits and the user's groups. A
// read-only filesystem fails for everyone.
func WritableBy(dir, username string) error {
	d, fi, err := nearestExisting(dir)
	if err != nil {
		return err
	}
	var sfs unix.Statfs_t
	if unix.Statfs(d, &sfs) == nil && readOnlyMount(&sfs) {
		return fmt.Errorf("%s is on a read-only filesystem", d)
	}
	me, _ := user.Current()
	if username == "" || me != nil && me.Username == username {
		if err := tryCreate(d); err != nil {
			return fmt.Errorf("cannot create a file in %s: %w", d, err)
		}
		return nil
	}
	u, err := user.Lookup(username)
	if err != nil {
		return fmt.Errorf("no user %q on this host: %w", username, err)
	}
	if u.Uid == "0" {
		return nil
	}
	gids, _ := u.GroupIds()
	st := fi.Sys().(*syscall.Stat_t)
	mode := fi.Mode().Perm()
	var ok bool
	switch {
	case strconv.FormatUint(uint64(st.Uid), 10) == u.Uid:
		ok = mode&0o300 == 0o300
	case slices.Contains(gids, strconv.FormatUint(uint64(st.Gid), 10)):
		ok = mode&0o030 == 0o030
	default:
		ok = mode&0o003 == 0o003
	}
	if !ok {
		owner := strconv.FormatUint(uint64(st.Uid), 10)
		if o, err := user.LookupId(owner); err == nil {
			owner = o.Username
		}
		return fmt.Errorf("%s (owner %s, mode %v) is not writable by %s", d, owner, fi.Mode(), username)
	}
	return nil
}
