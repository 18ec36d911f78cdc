//go:build !upkeep_testhooks

package apply

// hook is the crash tests' stop (stophook_testhooks.go, built only by
// the tests that build the upkeep program with -tags upkeep_testhooks); the
// program as shipped has none.
func (r *Runner) hook(int, bool) {}
