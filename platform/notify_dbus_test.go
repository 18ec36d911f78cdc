//go:build linux

package platform_test

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/upkeep-erp/upkeep/platform"
)

// notifyServer is a notification service on a private session bus: it
// records what it is asked to show.
type notifyServer struct {
	conn *dbus.Conn
	mu   sync.Mutex
	got  [][]string // title, body, then the actions
}

func (s *notifyServer) Notify(app string, replaces uint32, icon, title, body string, actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, append([]string{title, body}, actions...))
	return uint32(len(s.got)), nil
}

func (s *notifyServer) emit(member string, args ...any) error {
	return s.conn.Emit("/org/freedesktop/Notifications", "org.freedesktop.Notifications."+member, args...)
}

// sessionBus starts a private dbus-daemon and points the session bus at it.
func sessionBus(t *testing.T) {
	t.Helper()
	bin, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("no dbus-daemon")
	}
	cmd := exec.Command(bin, "--session", "--nofork", "--print-address")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", strings.TrimSpace(addr))
}

func TestNotifierSendsActionsAndReportsTheOneChosen(t *testing.T) {
	sessionBus(t)
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	srv := &notifyServer{conn: conn}
	if err := conn.Export(srv, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own the notification service: %v %v", reply, err)
	}
	n, err := platform.NewNotifier("Upkeep")
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	chosen := make(chan string, 2)
	actions := []platform.NotifyAction{{Key: "default", Label: "Open"}, {Key: "open", Label: "Open"}}
	if err := n.Notify("Upkeep: rehearsal passed", "Rehearsal 3 passed", actions, func(k string) { chosen <- k }); err != nil {
		t.Fatal(err)
	}
	if err := n.Notify("Upkeep: other", "closed unread", actions, func(k string) { chosen <- "second:" + k }); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	got := srv.got
	srv.mu.Unlock()
	if len(got) != 2 || strings.Join(got[0], "|") != "Upkeep: rehearsal passed|Rehearsal 3 passed|default|Open|open|Open" {
		t.Fatalf("the service was asked to show %q", got)
	}
	if err := srv.emit("NotificationClosed", uint32(2), uint32(2)); err != nil {
		t.Fatal(err)
	}
	if err := srv.emit("ActionInvoked", uint32(1), "open"); err != nil {
		t.Fatal(err)
	}
	select {
	case k := <-chosen:
		if k != "open" {
			t.Errorf("chosen %q, want open", k)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the chosen action never came")
	}
	select {
	case k := <-chosen:
		t.Errorf("an action came for a closed notification: %q", k)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestNotifierWithoutABus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+os.DevNull+".nosuch")
	if _, err := platform.NewNotifier("Upkeep"); err == nil {
		t.Error("NewNotifier worked without a session bus")
	}
}
