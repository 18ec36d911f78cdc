package tryton

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

//go:embed modinfo.py
var modinfoPy string

// helperReport is what modinfo.py writes.
type helperReport struct {
	Fatal      string       `json:"fatal"`
	Trytond    string       `json:"trytond"`
	TrytondDir string       `json:"trytond_dir"`
	Modules    []moduleInfo `json:"modules"`
}

// moduleInfo is one module's tryton.cfg as trytond.modules.get_module_info
// reads it, or the error it raised.
type moduleInfo struct {
	Name      string   `json:"name"`
	Version   string   `json:"version"`
	Depends   []string `json:"depends"`
	Directory string   `json:"directory"`
	Error     string   `json:"error"`
}

// helperExitFatal is modinfo.py's exit status when trytond cannot be imported.
const helperExitFatal = 3

// moduleInfos runs modinfo.py once for all names, with the instance's
// interpreter and PYTHONPATH, and returns its report.
func (r *Reader) moduleInfos(ctx context.Context, names []string) (helperReport, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.cfg.Python, "-c", modinfoPy)
	cmd.Env = r.helperEnv()
	cmd.Dir = os.TempDir()
	cmd.Stdin = strings.NewReader(strings.Join(names, "\n") + "\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return helperReport{}, fmt.Errorf("tryton: run %s (read tryton.cfg files): %w", r.cfg.Python, context.Cause(ctx))
	}
	var exitErr *exec.ExitError
	if err != nil && !(errors.As(err, &exitErr) && exitErr.ExitCode() == helperExitFatal) {
		return helperReport{}, r.helperRunError(err, stderr.String())
	}
	var rep helperReport
	if jerr := json.Unmarshal(stdout.Bytes(), &rep); jerr != nil {
		return helperReport{}, fmt.Errorf("tryton: decode the report of %s (stderr: %s): %w", r.cfg.Python, lastLines(stderr.String(), 5), jerr)
	}
	if rep.Fatal != "" {
		return helperReport{}, fmt.Errorf("tryton: %s cannot load Tryton with PYTHONPATH=%s: %s; check erp.tryton.modules_overlay and python_path (the module path) and that tryton-server is installed", r.cfg.Python, r.pythonPath(), rep.Fatal)
	}
	return rep, nil
}

func (r *Reader) helperRunError(err error, stderr string) error {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("tryton: the Python interpreter %s was not found: install python3 or set erp.tryton.python to the interpreter trytond runs with (its #! line): %w", r.cfg.Python, err)
	}
	return fmt.Errorf("tryton: run %s (read tryton.cfg files; stderr: %s): %w", r.cfg.Python, lastLines(stderr, 5), err)
}

// helperEnv is the caller's environment with PYTHONPATH set to exactly the
// instance's module path, and no byte-code written into the ERP's folders.
func (r *Reader) helperEnv() []string { return r.cfg.pythonEnv() }

// pythonEnv is the caller's environment without the variables that change
// what Python imports, then PYTHONPATH (the instance's module path),
// PYTHONDONTWRITEBYTECODE=1 and extra. TRYTOND_* variables pass: New
// resolved the database with them, as trytond will.
func (c Config) pythonEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONDONTWRITEBYTECODE", "TRYTONPASSFILE":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PYTHONDONTWRITEBYTECODE=1")
	if p := c.pythonPath(); p != "" {
		env = append(env, "PYTHONPATH="+p)
	}
	return append(env, extra...)
}

func (r *Reader) pythonPath() string { return r.cfg.pythonPath() }

// pythonPath is the PYTHONPATH the instance runs with: the overlay first,
// then the other entries (the overlay once).
func (c Config) pythonPath() string {
	var parts []string
	if c.Overlay != "" {
		parts = append(parts, c.Overlay)
	}
	for _, p := range c.PythonPath {
		if p != c.Overlay {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, string(os.PathListSeparator))
}

// lastLines returns the last n non-empty lines of s, joined by " | ".
func lastLines(s string, n int) string {
	lines := strings.FieldsFunc(strings.TrimSpace(s), func(r rune) bool { return r == '\n' })
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		return "none"
	}
	return strings.Join(lines, " | ")
}
