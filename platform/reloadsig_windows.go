package platform

import "os"

// ReloadSignals is empty: Windows has no SIGHUP; `upkeep reload` asks the
// service through its local API instead.
func ReloadSignals() []os.Signal { return nil }
