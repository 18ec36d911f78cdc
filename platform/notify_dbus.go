//go:build linux || freebsd || openbsd || netbsd || dragonfly

package platform

import (
	"fmt"
	"sync"

	"github.com/godbus/dbus/v5"
)

const (
	notifyName = "org.freedesktop.Notifications"
	notifyPath = "/org/freedesktop/Notifications"
)

// Notifier sends desktop notifications with actions: freedesktop.org
// notifications over the session D-Bus.
type Notifier struct {
	app  string
	conn *dbus.Conn
	mu   sync.Mutex
	wait map[uint32]func(key string) // by notification id, until closed
}

// NewNotifier connects to the session bus's notification service for the
// application named app.
func NewNotifier(app string) (*Notifier, error) {
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoNotifier, err)
	}
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w: %v", ErrNoNotifier, err)
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w: %v", ErrNoNotifier, err)
	}
	for _, member := range []string{"ActionInvoked", "NotificationClosed"} {
		if err := conn.AddMatchSignal(dbus.WithMatchInterface(notifyName), dbus.WithMatchMember(member)); err != nil {
			conn.Close()
			return nil, fmt.Errorf("%w: %v", ErrNoNotifier, err)
		}
	}
	n := &Notifier{app: app, conn: conn, wait: map[uint32]func(string){}}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	go n.listen(signals)
	return n, nil
}

// Notify shows a notification with actions; chosen is called (from
// another goroutine) with the key of the action the user chose, if any.
func (n *Notifier) Notify(title, body string, actions []NotifyAction, chosen func(key string)) error {
	flat := make([]string, 0, 2*len(actions))
	for _, a := range actions {
		flat = append(flat, a.Key, a.Label)
	}
	n.mu.Lock() // held across the call, so a quick ActionInvoked finds the callback
	defer n.mu.Unlock()
	var id uint32
	err := n.conn.Object(notifyName, notifyPath).Call(notifyName+".Notify", 0,
		n.app, uint32(0), "", title, body, flat, map[string]dbus.Variant{}, int32(-1)).Store(&id)
	if err != nil {
		return fmt.Errorf("send the desktop notification: %w", err)
	}
	if chosen != nil {
		n.wait[id] = chosen
	}
	return nil
}

func (n *Notifier) listen(signals <-chan *dbus.Signal) {
	for s := range signals {
		if len(s.Body) < 2 {
			continue
		}
		id, _ := s.Body[0].(uint32)
		n.mu.Lock()
		f := n.wait[id]
		switch s.Name {
		case notifyName + ".ActionInvoked":
			delete(n.wait, id)
		case notifyName + ".NotificationClosed":
			delete(n.wait, id)
			f = nil
		}
		n.mu.Unlock()
		if key, ok := s.Body[1].(string); ok && f != nil {
			f(key)
		}
	}
}

// Close ends the connection to the bus.
func (n *Notifier) Close() error { return n.conn.Close() }
