package backend

import (
	"context"
	"errors"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/apply"
)

// rehearsedFirst refuses to apply the plan with hash when the
// configuration requires a passed rehearsal of it first
// (schedule.policy.require_rehearsal) and the history has none: the same
// rule for the tray, the CLI through the agent and any other API caller.
func (b *Backend) rehearsedFirst(ctx context.Context, hash string) error {
	if !b.config().Schedule.Policy.RequireRehearsal {
		return nil
	}
	err := apply.RequireRehearsal(ctx, b.o.Store, hash)
	if errors.Is(err, apply.ErrNotRehearsed) {
		return &api.NotRehearsedError{Message: err.Error()}
	}
	return err
}
