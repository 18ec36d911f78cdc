// Package cli is the upkeep-repo command line: init, publish, extend, maturity, advisory, default-upgrade, list, log, token, serve, export and renew.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/user"

	"github.com/spf13/cobra"

	"github.com/upkeep-erp/upkeep/catalog"
	"github.com/upkeep-erp/upkeep/internal/cliutil"
	"github.com/upkeep-erp/upkeep/repo"
)

// Exit codes.
const (
	ExitOK    = cliutil.ExitOK
	ExitError = cliutil.ExitError // the operation failed; the message says why
	ExitUsage = cliutil.ExitUsage // bad command line
)

// backend is what the write commands need: a local store or a remote server.
type backend interface {
	Publish(ctx context.Context, data []byte) (*repo.Published, error)
	Extend(ctx context.Context, module, version string, deps []catalog.Dependency) (*repo.Extended, error)
	SetMaturity(ctx context.Context, module, version string, level catalog.Maturity) error
	SetDefaultUpgrade(ctx context.Context, module string, on bool) error
	AddAdvisory(ctx context.Context, module, version string, adv catalog.Advisory) error
	List(ctx context.Context, repository string) ([]repo.ModuleInfo, error)
	Log(ctx context.Context, f repo.LogFilter) ([]repo.LogEntry, error)
}

// local runs the commands on a repository directory as a local admin.
type local struct {
	s    *repo.Store
	a    repo.Actor
	into string // publish into this private repository only
}

func (l local) Publish(ctx context.Context, data []byte) (*repo.Published, error) {
	return l.s.PublishTo(ctx, data, l.into, l.a)
}

func (l local) Extend(ctx context.Context, m, v string, deps []catalog.Dependency) (*repo.Extended, error) {
	return l.s.Extend(ctx, m, v, deps, l.a)
}

func (l local) SetMaturity(ctx context.Context, m, v string, level catalog.Maturity) error {
	return l.s.SetMaturity(ctx, m, v, level, l.a)
}

func (l local) SetDefaultUpgrade(ctx context.Context, m string, on bool) error {
	return l.s.SetDefaultUpgrade(ctx, m, on, l.a)
}

func (l local) AddAdvisory(ctx context.Context, m, v string, adv catalog.Advisory) error {
	return l.s.AddAdvisory(ctx, m, v, adv, l.a)
}

func (l local) List(ctx context.Context, r string) ([]repo.ModuleInfo, error) {
	return l.s.List(ctx, r)
}

func (l local) Log(ctx context.Context, f repo.LogFilter) ([]repo.LogEntry, error) {
	return l.s.Log(ctx, f)
}

// app holds the global flags and output streams.
type app struct {
	dir, server, token string
	json               bool
	into               string // publish --repository
	out, errOut        io.Writer
}

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	a := &app{out: stdout, errOut: stderr}
	return cliutil.Run(a.rootCmd(), args, stdout, stderr)
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "upkeep-repo",
		Short: "Upkeep's central repository: publish module versions and serve signed indexes",
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.dir, "dir", envOr("UPKEEP_REPO_DIR", "."), "repository directory (env UPKEEP_REPO_DIR)")
	pf.StringVar(&a.server, "server", os.Getenv("UPKEEP_REPO_SERVER"), "work on a remote repository over HTTP instead of --dir (env UPKEEP_REPO_SERVER)")
	pf.StringVar(&a.token, "token", os.Getenv("UPKEEP_REPO_TOKEN"), "token for --server (env UPKEEP_REPO_TOKEN)")
	pf.BoolVar(&a.json, "json", false, "print JSON")
	root.AddCommand(a.initCmd(), a.publishCmd(), a.extendCmd(), a.maturityCmd(), a.advisoryCmd(), a.defaultUpgradeCmd(),
		a.listCmd(), a.logCmd(), a.tokenCmd(), a.serveCmd(), a.exportCmd(), a.renewCmd(), a.resignCmd(), a.rotateRootCmd(), a.repositoryCmd())
	return root
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// open opens the local store.
func (a *app) open() (*repo.Store, error) { return repo.Open(a.dir, repo.Options{}) }

// withBackend adapts a command body that needs the local store or the
// remote server (--server): it opens one, runs the body and closes it.
func (a *app) withBackend(run func(*cobra.Command, []string, backend) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		b, done, err := a.backend()
		if err != nil {
			return err
		}
		defer done()
		return run(cmd, args, b)
	}
}

// withStore adapts a command body that needs the local store: it opens the
// store, runs the body and closes the store.
func (a *app) withStore(run func(*cobra.Command, []string, *repo.Store) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		s, err := a.open()
		if err != nil {
			return err
		}
		defer s.Close()
		return run(cmd, args, s)
	}
}

// backend returns the remote client when --server is set, else the local store.
func (a *app) backend() (backend, func(), error) {
	if a.server != "" {
		if a.token == "" {
			return nil, nil, cliutil.Usage(errors.New("--server needs --token (or UPKEEP_REPO_TOKEN)"))
		}
		return &repo.Client{BaseURL: a.server, Token: a.token, Repository: a.into}, func() {}, nil
	}
	s, err := a.open()
	if err != nil {
		return nil, nil, err
	}
	return local{s: s, a: repo.LocalActor(currentUser()), into: a.into}, func() { s.Close() }, nil
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}

// print writes v as JSON with --json, else calls text.
func (a *app) print(v any, text func(io.Writer)) error {
	if a.json {
		enc := json.NewEncoder(a.out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(a.out)
	return nil
}

var exactArgs = cliutil.ExactArgs
