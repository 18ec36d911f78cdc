package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Deadlines bound how long a download may take, so that a server (or a
// proxy) that trickles bytes cannot hold a scan or an apply for ever.
type Deadlines struct {
	Connect  time.Duration // opening the connection, TLS included; default 15 s
	MinSpeed int64         // the slowest tolerated speed in bytes per second, averaged over each Window; default 1024
	Window   time.Duration // default 30 s; the wait for the answer's first bytes counts in the first window
	Grace    time.Duration // the whole download must end within Grace + expected length / MinSpeed; default 60 s
}

// DefaultDeadlines are used for zero Deadlines fields.
func DefaultDeadlines() Deadlines {
	return Deadlines{Connect: 15 * time.Second, MinSpeed: 1024, Window: 30 * time.Second, Grace: time.Minute}
}

func (d Deadlines) withDefaults() Deadlines {
	def := DefaultDeadlines()
	if d.Connect <= 0 {
		d.Connect = def.Connect
	}
	if d.MinSpeed <= 0 {
		d.MinSpeed = def.MinSpeed
	}
	if d.Window <= 0 {
		d.Window = def.Window
	}
	if d.Grace <= 0 {
		d.Grace = def.Grace
	}
	return d
}

// Overall is the deadline of a download of expected bytes.
func (d Deadlines) Overall(expected int64) time.Duration {
	d = d.withDefaults()
	return d.Grace + time.Duration(float64(expected)/float64(d.MinSpeed)*float64(time.Second))
}

// ErrTooSlow matches (errors.Is) a download given up for being too slow:
// no connection in time, too few bytes in a window, or past its deadline.
var ErrTooSlow = errors.New("too slow")

// SlowError says which URL was too slow, and how.
type SlowError struct {
	URL  string
	What string // e.g. "it sent 30 bytes in 30s, under the floor of 1024 bytes/s"
}

func (e *SlowError) Error() string {
	return fmt.Sprintf("GET %s: too slow: %s; nothing was used. Check the network, the server and any proxy in between "+
		"(the limits are [repository.deadlines] in the configuration)", e.URL, e.What)
}

// Is makes errors.Is(err, ErrTooSlow) true.
func (e *SlowError) Is(target error) bool { return target == ErrTooSlow }

// pace enforces the deadlines on one download: it cancels the download's
// context with a *SlowError when a window ends with too few bytes or the
// overall deadline passes.
type pace struct {
	d       Deadlines
	url     string
	cancel  context.CancelCauseFunc
	window  atomic.Int64 // bytes in the current window
	total   atomic.Int64
	stopped atomic.Bool
	tick    *time.Timer
	end     *time.Timer
}

// startPace returns ctx under d's deadlines for a download of up to
// expected bytes from url; call stop when the download ends.
func startPace(ctx context.Context, d Deadlines, url string, expected int64) (context.Context, *pace) {
	ctx, cancel := context.WithCancelCause(ctx)
	p := &pace{d: d, url: url, cancel: cancel}
	p.tick = time.AfterFunc(d.Window, p.check)
	limit := d.Overall(expected)
	p.end = time.AfterFunc(limit, func() {
		p.cancel(&SlowError{URL: url, What: fmt.Sprintf("it was not done after %s (%d bytes received), the deadline for up to %d bytes at %d bytes/s plus %s",
			limit.Round(time.Millisecond), p.total.Load(), expected, d.MinSpeed, d.Grace)})
	})
	return ctx, p
}

// add counts n bytes received.
func (p *pace) add(n int) {
	p.window.Add(int64(n))
	p.total.Add(int64(n))
}

// check ends a window: too few bytes cancel the download.
func (p *pace) check() {
	if p.stopped.Load() {
		return
	}
	got := p.window.Swap(0)
	floor := int64(float64(p.d.MinSpeed) * p.d.Window.Seconds())
	if got >= floor {
		p.tick.Reset(p.d.Window)
		return
	}
	what := fmt.Sprintf("it sent %d bytes in %s, under the floor of %d bytes/s", got, p.d.Window, p.d.MinSpeed)
	switch {
	case p.total.Load() == 0:
		what = fmt.Sprintf("no answer within %s", p.d.Window)
	case got == 0:
		what = fmt.Sprintf("it stopped sending for %s", p.d.Window)
	}
	p.cancel(&SlowError{URL: p.url, What: what})
}

// stop ends the watch and releases the context.
func (p *pace) stop() {
	p.stopped.Store(true)
	p.tick.Stop()
	p.end.Stop()
	p.cancel(nil)
}

// slow returns the *SlowError that ended ctx, if one did.
func slow(ctx context.Context) (*SlowError, bool) {
	var se *SlowError
	ok := errors.As(context.Cause(ctx), &se)
	return se, ok
}

// newTransport is the transport of a fetcher made without a client: the
// default one, with the connect deadline on the dial and the TLS handshake.
func newTransport(d Deadlines) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	dialer := &net.Dialer{Timeout: d.Connect, KeepAlive: 30 * time.Second}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		var ne net.Error
		if err != nil && ctx.Err() == nil && errors.As(err, &ne) && ne.Timeout() {
			return nil, &SlowError{What: fmt.Sprintf("no connection to %s within %s", addr, d.Connect)}
		}
		return c, err
	}
	tr.TLSHandshakeTimeout = d.Connect
	return tr
}
