package platform

import "golang.org/x/sys/unix"

func readOnlyMount(s *unix.Statfs_t) bool { return s.Flags&unix.ST_RDONLY != 0 }
