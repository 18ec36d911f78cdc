package quickstart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/demoerp"
	"github.com/upkeep-erp/upkeep/platform"
	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/meta"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

// Installed is what the demo ERP instance starts with: the story's core
// 2.50.20 with arp, the localization that blocks core 3.0, and reports.
var Installed = [][2]string{{"core", "2.50.20"}, {"arp", "1.3.0"}, {"localization-es", "1.2.0"}, {"reports", "0.9.0"}}

// exists reports whether path is there.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// refuseRunningAgent fails when an agent (left by a demo that was killed,
// say) already answers on the folder's socket.
func (d *demo) refuseRunningAgent(ctx context.Context) error {
	if !exists(d.socket()) {
		return nil
	}
	c, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := (&api.Client{Path: d.socket()}).Status(c); err == nil {
		return fmt.Errorf("an agent already answers on %s (left by an earlier demo?): stop it (upkeep --config %s status names it; kill its 'upkeep run' process), then run the demo again", d.socket(), d.config())
	}
	return nil
}

// reset stops a demo ERP server left running and removes everything in the
// folder but the lock.
func (d *demo) reset(ctx context.Context) error {
	if exists(d.path(PIDFile)) {
		srv, err := proc.New(proc.Config{PIDFile: d.path(PIDFile), Start: []string{d.self}, StopTimeout: 10 * time.Second})
		if err == nil {
			err = srv.Stop(ctx)
		}
		if err != nil {
			return fmt.Errorf("stop the demo ERP server left running: %w; stop it by hand before --reset", err)
		}
	}
	entries, err := os.ReadDir(d.dir)
	if err != nil {
		return fmt.Errorf("read the work folder: %w", err)
	}
	for _, e := range entries {
		if e.Name() == lockFile {
			continue
		}
		if err := os.RemoveAll(d.path(e.Name())); err != nil {
			return fmt.Errorf("reset: remove %s: %w", d.path(e.Name()), err)
		}
	}
	fmt.Fprintf(d.out, "Reset: removed the contents of %s\n", d.dir)
	return nil
}

// prepareRepository creates the central repository with the demo catalog
// the first time (in a temporary folder renamed when complete, so an
// interrupted creation is never reused), and reuses it afterwards.
func (d *demo) prepareRepository(ctx context.Context) error {
	final := d.path(RepoDir)
	if exists(final) {
		fmt.Fprintf(d.out, "Central repository: reusing %s\n", final)
		return nil
	}
	tmp := final + ".new"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("remove the unfinished %s: %w", tmp, err)
	}
	res, err := repo.Init(tmp, repo.InitOptions{})
	if err != nil {
		return fmt.Errorf("repo.Init: %w", err)
	}
	if err := publishCatalog(ctx, tmp); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, filepath.Base(TokenFile)), []byte(res.AdminToken+"\n"), 0o600); err != nil {
		return fmt.Errorf("save the admin token: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	fmt.Fprintf(d.out, "Central repository: created %s with the demo catalog (%d module versions; admin token in %s)\n",
		final, len(sample.Catalog()), d.path(TokenFile))
	return nil
}

// publishCatalog publishes the sample catalog into the repository in dir.
func publishCatalog(ctx context.Context, dir string) error {
	s, err := repo.Open(dir, repo.Options{})
	if err != nil {
		return fmt.Errorf("repo.Open: %w", err)
	}
	defer s.Close()
	for _, m := range sample.Catalog() {
		data, err := m.Archive()
		if err != nil {
			return fmt.Errorf("sample archive %s %s: %w", m.Name, m.Version, err)
		}
		if _, err := s.Publish(ctx, data, repo.LocalActor("upkeep demo")); err != nil {
			return fmt.Errorf("publish demo %s %s: %w", m.Name, m.Version, err)
		}
	}
	return nil
}

// prepareInstance creates the demo ERP instance the first time (through a
// temporary folder, as the repository) and reuses it afterwards.
func (d *demo) prepareInstance(_ context.Context) error {
	final := d.path(ERPDir)
	if exists(final) {
		fmt.Fprintf(d.out, "Demo ERP instance: reusing %s\n", final)
		return nil
	}
	tmp := final + ".new"
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("remove the unfinished %s: %w", tmp, err)
	}
	var archives [][]byte
	for _, nv := range Installed {
		data, err := sample.ArchiveOf(nv[0], nv[1])
		if err != nil {
			return fmt.Errorf("sample archive %s %s: %w", nv[0], nv[1], err)
		}
		archives = append(archives, data)
	}
	if err := demoerp.NewInstance(tmp, archives); err != nil {
		return fmt.Errorf("demoerp.NewInstance: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	fmt.Fprintf(d.out, "Demo ERP instance: created %s (core 2.50.20, arp 1.3.0, localization-es 1.2.0, reports 0.9.0)\n", final)
	return nil
}

// writeConfig writes the agent's configuration for this start's ports: the
// demo ERP is this program's hidden demo-erp command.
func (d *demo) writeConfig(context.Context) error {
	demoERP := []string{d.self, "demo-erp"}
	erpDir := d.path(ERPDir)
	conf := map[string]any{
		"erp": map[string]any{
			"kind": "demo",
			"demo": map[string]any{"dir": erpDir, "url": "http://" + d.erpAddr, "command": demoERP},
			"server": map[string]any{
				"pidfile":      d.path(PIDFile),
				"start":        append(demoERP, "--dir", erpDir, "serve", "--addr", d.erpAddr, "--pidfile", d.path(PIDFile)),
				"stop_timeout": "10s",
			},
		},
		"repository": map[string]any{"url": d.repoURL, "trusted_root": filepath.Join(d.path(RepoDir), meta.RootFile)},
		"state":      map[string]any{"dir": d.path(StateDir)},
		"api":        map[string]any{"socket": d.socket()},
		"apply":      map[string]any{"health_timeout": "30s"},
	}
	var b bytes.Buffer
	b.WriteString("# Written by `upkeep demo` at each start (its ports change): copy it to change it.\n")
	if err := toml.NewEncoder(&b).Encode(conf); err != nil {
		return fmt.Errorf("encode the configuration: %w", err)
	}
	if err := platform.WriteFileAtomic(d.config(), b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", d.config(), err)
	}
	return nil
}

// errNoAnswer is a server that did not come up in time.
var errNoAnswer = errors.New("no answer")
