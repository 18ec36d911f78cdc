package platform

// DefaultLocalPath is where the agent's local API listens unless the
// configuration says otherwise.
func DefaultLocalPath() string { return "/run/upkeep/upkeep.sock" }
