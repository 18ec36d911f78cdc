package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// goosList are the systems whose build-tagged files are checked too, so a
// forbidden import in a per-OS file (listen_windows.go) is not missed.
var goosList = []string{"linux", "windows", "darwin"}

// ListModule returns the module path and every package of the module that
// holds the current directory, with the union of its non-test imports over
// goosList.
func ListModule() (string, []Package, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", nil, err
	}
	var module string
	byPath := map[string]*Package{}
	var order []string
	for _, goos := range goosList {
		pkgs, mod, err := goList(root, goos)
		if err != nil {
			return "", nil, err
		}
		module = mod
		for _, p := range pkgs {
			if byPath[p.ImportPath] == nil {
				byPath[p.ImportPath] = &Package{ImportPath: p.ImportPath}
				order = append(order, p.ImportPath)
			}
			byPath[p.ImportPath].Imports = union(byPath[p.ImportPath].Imports, p.Imports)
		}
	}
	out := make([]Package, 0, len(order))
	for _, path := range order {
		out = append(out, *byPath[path])
	}
	return module, out, nil
}

// moduleRoot returns the directory holding go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("go env GOMOD: not inside a module")
	}
	return filepath.Dir(gomod), nil
}

// listed is the part of `go list -json` output the checker reads.
type listed struct {
	ImportPath string
	Imports    []string
	Module     *struct{ Path string }
}

// goList runs `go list -e -json ./...` in root for goos and returns the
// packages and the module path.
func goList(root, goos string) ([]listed, string, error) {
	cmd := exec.Command("go", "list", "-e", "-json", "./...")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS="+goos)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, "", fmt.Errorf("go list (GOOS=%s): %w: %s", goos, err, stderr.String())
	}
	return decodeList(out)
}

// decodeList decodes the stream of JSON objects `go list -json` prints.
func decodeList(out []byte) ([]listed, string, error) {
	var pkgs []listed
	module := ""
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			return pkgs, module, nil
		}
		if err != nil {
			return nil, "", fmt.Errorf("decode go list output: %w", err)
		}
		if p.Module != nil {
			module = p.Module.Path
		}
		pkgs = append(pkgs, p)
	}
}

// union returns a with the elements of b it lacks appended.
func union(a, b []string) []string {
	seen := map[string]bool{}
	for _, s := range a {
		seen[s] = true
	}
	for _, s := range b {
		if !seen[s] {
			seen[s] = true
			a = append(a, s)
		}
	}
	return a
}
