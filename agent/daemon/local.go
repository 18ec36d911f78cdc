package daemon

import (
	"context"
	"errors"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/api/backend"
	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/host"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// LocalOptions say how a command runs the agent in its own process.
type LocalOptions struct {
	Config  *config.Config
	Caller  api.Caller // the command's user: runs record them, and they may act
	Version string
	// ForceUnhealthy has applies go on although the ERP fails its health
	// check before they start.
	ForceUnhealthy bool
	// ShowRecovery receives the runner's events of a recovery (Recover).
	ShowRecovery func(apply.Event)
}

// Local is the agent run inside a command's own process, without a
// schedule: the service's backend over the state database, which the
// command reaches through Client, as it reaches the service.
type Local struct {
	Client  *api.Client
	Backend *backend.Backend // for what the local API does not offer: recovery, dry runs
	st      *store.Store
	stop    func(context.Context) error
}

// OpenLocal opens the state database and serves the agent to Client.
func OpenLocal(o LocalOptions) (*Local, error) {
	st, err := store.Open(o.Config.State.Dir, nil)
	if err != nil {
		return nil, err
	}
	b := backend.New(backend.Options{Config: o.Config, Store: st, Version: o.Version, Started: time.Now(), Open: host.Open,
		ForceUnhealthy: o.ForceUnhealthy, ShowRecovery: o.ShowRecovery})
	cl, stop, err := api.InProcess(b, o.Caller, api.Options{})
	if err != nil {
		st.Close()
		return nil, err
	}
	return &Local{Client: cl, Backend: b, st: st, stop: stop}, nil
}

// Recover cleans up a rehearsal and finishes an apply a crash left
// unfinished, as the service does at start; it returns the apply's
// result, nil when none was left.
func (l *Local) Recover(ctx context.Context) (*apply.Result, error) {
	if _, err := l.Backend.RecoverRehearsal(ctx); err != nil {
		return nil, err
	}
	return l.Backend.Recover(ctx)
}

// Close waits for the run in progress to end (a run of this process
// never outlives it), stops serving and closes the state database.
func (l *Local) Close() error {
	l.Backend.Wait(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(l.stop(ctx), l.st.Close())
}
