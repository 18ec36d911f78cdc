package platform

// Peer is the process at the other end of a local API connection, as the
// operating system vouches for it.
type Peer struct {
	PID    int      // its process id; 0 when the OS does not tell
	UID    string   // its user: a uid on unix, a SID on Windows
	Groups []string // its groups: gids (the primary first) on unix, enabled group SIDs on Windows
	Root   bool     // the superuser: uid 0, or on Windows LocalSystem or an elevated administrator
}

// InGroup reports whether the peer belongs to the group gid (a gid on unix,
// a SID on Windows, as os/user's Group.Gid gives it).
func (p Peer) InGroup(gid string) bool {
	for _, g := range p.Groups {
		if g == gid {
			return true
		}
	}
	return false
}
