package api

import (
	"context"
	"net"
	"sync"
)

// InProcess serves b to the returned client inside this process, over
// in-memory connections: the same routes, checks and wire format as over
// the socket, for a command line that runs the agent in its own process.
// Every request is caller's (caller.Client names the program, as
// Client.Name does). stop ends the serving once the requests in
// progress have ended (or ctx has).
func InProcess(b Backend, caller Caller, o Options) (cl *Client, stop func(context.Context) error, err error) {
	s, err := NewServer(b, o)
	if err != nil {
		return nil, nil, err
	}
	l := &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{}), caller: caller}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	stop = func(ctx context.Context) error {
		err := s.Shutdown(ctx)
		if serr := <-served; err == nil {
			err = serr
		}
		return err
	}
	return &Client{Path: "this process", Name: caller.Client, dial: l.dial}, stop, nil
}

// pipeListener hands the server one end of each in-memory connection.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
	caller Caller
}

// pipeConn is the server's end of an in-memory connection: its caller is
// known, there are no peer credentials to read.
type pipeConn struct {
	net.Conn
	caller Caller
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial opens an in-memory connection to the server.
func (l *pipeListener) dial(ctx context.Context) (net.Conn, error) {
	server, client := net.Pipe()
	select {
	case l.conns <- &pipeConn{Conn: server, caller: l.caller}:
		return client, nil
	case <-l.closed:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "in-process" }
