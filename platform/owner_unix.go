//go:build unix

package platform

import (
	"fmt"
	"os"
	"syscall"
)

// ChownLike gives path the owner and group that like describes (a file's
// earlier state), so that rewriting a file keeps who may read it.
func ChownLike(path string, like os.FileInfo) error {
	st, ok := like.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if err := os.Lchown(path, int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("chown %s: %w", path, err)
	}
	return nil
}

// SameOwner reports whether a and b have the same owner and group.
func SameOwner(a, b os.FileInfo) bool {
	sa, okA := a.Sys().(*syscall.Stat_t)
	sb, okB := b.Sys().(*syscall.Stat_t)
	return !okA || !okB || sa.Uid == sb.Uid && sa.Gid == sb.Gid
}
