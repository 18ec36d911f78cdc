// Package host assembles the agent's parts for one configuration: the ERP adapter's reader and writer, the apply runner, the scanner and the repositories' download clients.
package host

import (
	"fmt"

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/config"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// Host is the agent's parts for one configuration. It opens nothing until
// asked: a scan needs only the reader, an apply the writer.
type Host struct {
	Config  *config.Config
	adapter adapter
}

// Open returns the parts of the ERP c describes; it fails when no adapter
// serves c's erp.kind.
func Open(c *config.Config) (*Host, error) {
	a, ok := lookup(c.ERP.Kind)
	if !ok {
		return nil, fmt.Errorf("erp.kind = %q: this build of upkeep has no adapter for it (%s)", c.ERP.Kind, kinds())
	}
	return &Host{Config: c, adapter: a}, nil
}

// kinds lists the adapters' kinds for messages.
func kinds() string {
	s := "use "
	for i, a := range adapters {
		switch {
		case i == len(adapters)-1 && i > 0:
			s += " or "
		case i > 0:
			s += ", "
		}
		s += a.kind
	}
	return s
}

// Reader opens the ERP's read side.
func (h *Host) Reader() (erp.Reader, error) { return h.adapter.reader(h.Config) }

// Writer opens the ERP's write side with its server control ([erp.server]).
func (h *Host) Writer() (erp.Writer, error) {
	srv, err := serverControl(h.Config.ERP.Server)
	if err != nil {
		return nil, err
	}
	return h.adapter.writer(h.Config, srv)
}

// serverControl is how the agent stops and starts the ERP's server.
func serverControl(s config.Server) (erp.Server, error) {
	return proc.New(proc.Config{SystemdUnit: s.SystemdUnit, PIDFile: s.PIDFile, Start: s.Start, Stop: s.Stop,
		Log: s.Log, StopTimeout: s.StopTimeout.Duration})
}

// Runner is the apply runner over the ERP's writer and the agent's state:
// archives come from the staging folder when staged, else from their
// repository. The caller sets Progress, Rescan and ForceUnhealthy.
func (h *Host) Runner(st *store.Store) (*apply.Runner, error) {
	w, err := h.Writer()
	if err != nil {
		return nil, err
	}
	c := h.Config
	return &apply.Runner{Writer: w, Store: st, StateDir: c.State.Dir, Health: c.ERP.Health, Config: c.Apply,
		FetcherFor: h.Fetcher}, nil
}

// Target is where rehearsals run: the test instance
// ([rehearsal.test_instance]), else throwaway copies of prod, the
// production ERP's writer.
func (h *Host) Target(prod erp.Writer) (apply.Target, error) {
	var inst erp.Writer
	if tc := h.Config.TestInstanceConfig(); tc != nil {
		th, err := Open(tc)
		if err == nil {
			inst, err = th.Writer()
		}
		if err != nil {
			return apply.Target{}, fmt.Errorf("rehearsal.test_instance: %w", err)
		}
	}
	return apply.NewTarget(prod, inst, h.Config.Rehearsal.TestInstanceHealth())
}
