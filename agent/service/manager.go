package service

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	kservice "github.com/kardianos/service"
)

// Status is the installed service's state.
type Status string

// The states Manager.Status reports.
const (
	Running      Status = "running"
	Stopped      Status = "stopped"
	NotInstalled Status = "not installed"
	Unknown      Status = "unknown"
)

// ErrNotInstalled says there is no installed service to act on.
var ErrNotInstalled = errors.New("the service is not installed")

// Manager installs and controls the service on the live system through
// kardianos/service, which picks the init system (System says which).
type Manager struct {
	spec   Spec
	system string
	unit   *Unit // nil when Render does not know the system
	svc    kservice.Service
}

// NewManager prepares to manage the service s on this system.
func NewManager(s Spec) (*Manager, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	m := &Manager{spec: s, system: kservice.Platform()}
	kc := &kservice.Config{Name: s.Name, DisplayName: s.DisplayName, Description: s.Description,
		Executable: s.Executable, Arguments: s.Arguments(), UserName: s.User, EnvVars: s.Env, Option: kservice.KeyValue{}}
	if u, err := Render(m.system, s); err == nil {
		m.unit = &u
		kc.Option[kardianosOption[m.system]] = u.Body
	}
	svc, err := kservice.New(idle{}, kc)
	if err != nil {
		return nil, fmt.Errorf("set up the system service: %w", err)
	}
	m.svc = svc
	return m, nil
}

// System is the init system in use, by kardianos's name (linux-systemd,
// unix-systemv, darwin-launchd, windows-service…).
func (m *Manager) System() string { return m.system }

// Unit is the service file Install writes (nil when the system has none,
// e.g. Windows, or Render does not know it).
func (m *Manager) Unit() *Unit { return m.unit }

// Install writes the service file and registers it with the init system.
func (m *Manager) Install() error {
	if err := m.svc.Install(); err != nil {
		return fmt.Errorf("install the %s service (%s): %w", m.spec.Name, m.system, err)
	}
	return nil
}

// Uninstall stops tracking the service and removes its file (and the SysV
// runlevel links, which kardianos leaves behind).
func (m *Manager) Uninstall() error {
	if err := m.svc.Uninstall(); err != nil {
		if m.unit != nil && !exists(m.unit.Path) {
			return fmt.Errorf("uninstall %s: %w", m.spec.Name, ErrNotInstalled)
		}
		return fmt.Errorf("uninstall the %s service (%s): %w", m.spec.Name, m.system, err)
	}
	if m.unit != nil {
		return removeLinks("/", *m.unit)
	}
	return nil
}

// Start asks the init system to start the service.
func (m *Manager) Start() error {
	if err := m.svc.Start(); err != nil {
		return fmt.Errorf("start the %s service (%s): %w", m.spec.Name, m.system, err)
	}
	return nil
}

// Stop asks the init system to stop the service.
func (m *Manager) Stop() error {
	if err := m.svc.Stop(); err != nil {
		return fmt.Errorf("stop the %s service (%s): %w", m.spec.Name, m.system, err)
	}
	return nil
}

// Status asks the init system how the service is.
func (m *Manager) Status() (Status, error) {
	st, err := m.svc.Status()
	switch {
	case errors.Is(err, kservice.ErrNotInstalled), err != nil && m.unit != nil && !exists(m.unit.Path):
		return NotInstalled, nil
	case err != nil:
		return Unknown, fmt.Errorf("status of the %s service (%s): %w", m.spec.Name, m.system, err)
	case st == kservice.StatusRunning:
		return Running, nil
	case st == kservice.StatusStopped:
		return Stopped, nil
	}
	return Unknown, nil
}

// InstallRoot writes u under root as the init system would find it there,
// with its runlevel links (absolute, as on the live system): a package
// build's staging root, or a test's temporary one. It refuses to replace
// an installed file.
func InstallRoot(root string, u Unit) error {
	p := filepath.Join(root, u.Path)
	if exists(p) {
		return fmt.Errorf("%s already exists: uninstall the service first", p)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(p), err)
	}
	if err := os.WriteFile(p, []byte(u.Body), u.Mode); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	if err := os.Chmod(p, u.Mode); err != nil { // the umask must not change it
		return fmt.Errorf("chmod %s: %w", p, err)
	}
	for _, l := range u.Links {
		lp := filepath.Join(root, l)
		if err := os.MkdirAll(filepath.Dir(lp), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", filepath.Dir(lp), err)
		}
		if err := os.Symlink(u.Path, lp); err != nil {
			return fmt.Errorf("link %s: %w", lp, err)
		}
	}
	return nil
}

// UninstallRoot removes what InstallRoot wrote under root.
func UninstallRoot(root string, u Unit) error {
	p := filepath.Join(root, u.Path)
	if !exists(p) {
		return fmt.Errorf("%s: %w", p, ErrNotInstalled)
	}
	if err := removeLinks(root, u); err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return fmt.Errorf("remove %s: %w", p, err)
	}
	return nil
}

// removeLinks removes u's links under root that point at u's file.
func removeLinks(root string, u Unit) error {
	for _, l := range u.Links {
		lp := filepath.Join(root, l)
		if target, err := os.Readlink(lp); err != nil || target != u.Path {
			continue // not ours, or not there
		}
		if err := os.Remove(lp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", lp, err)
		}
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// idle is the program of a Manager, which controls the service but never runs it.
type idle struct{}

func (idle) Start(kservice.Service) error { return nil }
func (idle) Stop(kservice.Service) error  { return nil }

// Platform is the init system kardianos/service found on this machine.
func Platform() string { return kservice.Platform() }
