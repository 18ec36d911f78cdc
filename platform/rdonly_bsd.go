//go:build unix && !linux

package platform

import "golang.org/x/sys/unix"

func readOnlyMount(s *unix.Statfs_t) bool { return uint64(s.Flags)&unix.MNT_RDONLY != 0 }
