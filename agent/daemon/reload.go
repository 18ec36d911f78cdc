package daemon

import (
	"context"
	"os"
	"os/signal"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/store"
	"github.com/upkeep-erp/upkeep/platform"
)

// notifyReload catches the platform's reload signals (SIGHUP; none on
// Windows) on the returned channel, so that one no longer stops the agent.
func notifyReload() chan os.Signal {
	ch := make(chan os.Signal, 1)
	if sigs := platform.ReloadSignals(); len(sigs) > 0 {
		signal.Notify(ch, sigs...)
	}
	return ch
}

// stopReload stops catching the reload signals on ch.
func stopReload(ch chan os.Signal) { signal.Stop(ch) }

// reloadOnSignal reloads the configuration on each signal from ch until
// ctx ends: a file with an error is logged and recorded as a warning
// event, and the configuration in use stays.
func (d *Daemon) reloadOnSignal(ctx context.Context, ch chan os.Signal, ev *store.Events) {
	defer stopReload(ch)
	for {
		select {
		case <-ctx.Done():
			return
		case sig := <-ch:
			d.reloadNow(ctx, ev, sig.String())
		}
	}
}

// reloadNow is one reload asked by a signal.
func (d *Daemon) reloadNow(ctx context.Context, ev *store.Events, sig string) {
	r, err := d.b.Reload(ctx, api.Caller{User: "signal " + sig})
	if err == nil {
		d.log.Info("configuration reloaded on signal", "signal", sig, "changed", r.Changed, "restart_needed", r.Restart)
		return
	}
	d.log.Error("configuration not reloaded; the agent goes on with the one in use", "signal", sig, "err", err)
	// Recorded even when the agent is stopping meanwhile: Stop closes the
	// state only after this goroutine has ended.
	_, _, aerr := ev.Add(context.WithoutCancel(ctx), store.Event{Kind: "config-rejected", Level: "warning",
		Title: "The changed configuration was not loaded", Body: err.Error() + "\nFix the file (upkeep config check), then upkeep reload."})
	if aerr != nil {
		d.log.Error("record event", "err", aerr)
	}
}
