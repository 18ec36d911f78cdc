package service

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	kservice "github.com/kardianos/service"
)

// Agent is what the service runs. Start starts the agent's work and returns
// once it serves (an error stops the service from starting); ctx lasts
// until the service stops. Stop ends the work, within ctx's deadline.
type Agent interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// RunOptions say what Run runs.
type RunOptions struct {
	Name        string       // the service's name (default Name)
	Agent       Agent        //
	Log         *slog.Logger // default: discard
	StopTimeout time.Duration
	// Wait blocks until the service should stop; default: until SIGTERM or
	// SIGINT. (Under the Windows service manager, the manager decides.)
	Wait func()
}

// Run runs the agent in the foreground or under the service manager,
// through kardianos/service, and returns once it has stopped.
func Run(o RunOptions) error {
	if o.Name == "" {
		o.Name = Name
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.StopTimeout == 0 {
		o.StopTimeout = time.Minute
	}
	if o.Wait == nil {
		o.Wait = func() { waitForSignal(o.Log) }
	}
	p := &program{o: o}
	svc, err := kservice.New(p, &kservice.Config{Name: o.Name, Option: kservice.KeyValue{"RunWait": o.Wait}})
	if err != nil {
		return fmt.Errorf("set up the system service: %w", err)
	}
	return svc.Run()
}

func waitForSignal(log *slog.Logger) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, os.Interrupt)
	defer signal.Stop(ch)
	sig := <-ch
	log.Info("stopping", "signal", sig.String())
}

// program adapts an Agent to kardianos's Interface.
type program struct {
	o      RunOptions
	cancel context.CancelFunc
}

func (p *program) Start(s kservice.Service) error {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.o.Log.Info("starting", "service", p.o.Name, "platform", s.Platform(), "pid", os.Getpid())
	if err := p.o.Agent.Start(ctx); err != nil {
		cancel()
		p.o.Log.Error("could not start", "err", err)
		return err
	}
	p.o.Log.Info("started")
	return nil
}

func (p *program) Stop(kservice.Service) error {
	p.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), p.o.StopTimeout)
	defer cancel()
	if err := p.o.Agent.Stop(ctx); err != nil {
		p.o.Log.Error("stopped with an error", "err", err)
		return err
	}
	p.o.Log.Info("stopped")
	return nil
}
