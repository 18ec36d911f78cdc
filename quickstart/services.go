package quickstart

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/platform"
	"github.com/upkeep-erp/upkeep/repo"
)

// Timeouts for what the demo starts and stops.
const (
	upTimeout   = 60 * time.Second // a server or the agent answering
	stopTimeout = 60 * time.Second // the agent finishing after SIGTERM
)

// serveRepository serves the folder's repository on a free loopback port in
// this process, with its signatures renewed first.
func (d *demo) serveRepository(ctx context.Context) error {
	s, err := repo.Open(d.path(RepoDir), repo.Options{})
	if err != nil {
		return fmt.Errorf("repo.Open: %w", err)
	}
	if _, err := s.Renew(ctx); err != nil {
		s.Close()
		return fmt.Errorf("renew the repository's signatures: %w", err)
	}
	h, err := repo.NewServer(s, nil)
	if err != nil {
		s.Close()
		return fmt.Errorf("repo.NewServer: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		return fmt.Errorf("listen on a loopback port: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	d.repoURL = "http://" + ln.Addr().String()
	d.stops = append(d.stops, func() error {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(c)
		if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		return errors.Join(err, s.Close())
	})
	fmt.Fprintf(d.out, "Central repository: serving %s\n", d.repoURL)
	addr, err := freeAddr()
	d.erpAddr = addr
	return err
}

// freeAddr returns a loopback address no one listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free loopback port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startERP starts the demo ERP's server through its pidfile (after stopping
// one left running by an earlier demo) and waits until it is healthy.
func (d *demo) startERP(ctx context.Context) error {
	erpDir := d.path(ERPDir)
	srv, err := proc.New(proc.Config{PIDFile: d.path(PIDFile), StopTimeout: 10 * time.Second,
		Start: []string{d.self, "demo-erp", "--dir", erpDir, "serve", "--addr", d.erpAddr, "--pidfile", d.path(PIDFile)}})
	if err != nil {
		return fmt.Errorf("proc.New: %w", err)
	}
	if err := srv.Stop(ctx); err != nil {
		return fmt.Errorf("stop the demo ERP server left running: %w", err)
	}
	if err := srv.Start(ctx); err != nil {
		return err
	}
	d.stops = append(d.stops, func() error {
		c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return srv.Stop(c) // the server apply restarted is the one the pidfile names
	})
	url := "http://" + d.erpAddr + "/health"
	if err := await(ctx, func() error { return get(url) }); err != nil {
		return fmt.Errorf("the demo ERP server is not healthy at %s: %w; its log is %s.log", url, err, d.path(PIDFile))
	}
	fmt.Fprintf(d.out, "Demo ERP server: http://%s (pidfile %s)\n", d.erpAddr, d.path(PIDFile))
	return nil
}

// get fails unless url answers 200.
func get(url string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// await polls check until it succeeds, ctx ends or upTimeout passes.
func await(ctx context.Context, check func() error) error {
	ctx, cancel := context.WithTimeout(ctx, upTimeout)
	defer cancel()
	for {
		err := check()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w (last: %v)", errNoAnswer, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// startAgent runs `upkeep run` on the configuration, in its own process
// group (Ctrl-C reaches the demo, which stops the agent in order), and
// waits until its local API answers.
func (d *demo) startAgent(ctx context.Context) error {
	logf, err := os.OpenFile(d.path(AgentLog), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open the agent's log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(d.self, "--config", d.config(), "run")
	cmd.Stdout, cmd.Stderr = logf, logf
	platform.OwnProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the agent (%s run): %w", d.self, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	d.stops = append(d.stops, func() error { return stopAgent(cmd.Process.Pid, exited) })
	c := &api.Client{Path: d.socket()}
	err = await(ctx, func() error {
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("the agent exited: %v", err)
		default:
		}
		_, err := c.Status(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("the agent does not answer on %s: %w; its log is %s", d.socket(), err, d.path(AgentLog))
	}
	fmt.Fprintf(d.out, "Agent: running (pid %d), local API %s, log %s\n", cmd.Process.Pid, d.socket(), d.path(AgentLog))
	return nil
}

// stopAgent ends the agent with SIGTERM, then SIGKILL after stopTimeout.
func stopAgent(pid int, exited chan error) error {
	select {
	case <-exited:
		return nil // it stopped by itself; its log says why
	default:
	}
	platform.TerminateGroup(pid)
	select {
	case <-exited:
		return nil
	case <-time.After(stopTimeout):
		platform.KillGroup(pid)
		<-exited
		return fmt.Errorf("the agent did not stop within %s of SIGTERM and was killed", stopTimeout)
	}
}
