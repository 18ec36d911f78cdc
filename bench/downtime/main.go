// Command downtime measures how long a Tryton 6.0 server does not answer (common.server.version, polled from its own goroutine) during a one-module update done by upkeep apply and by the bare manual procedure (stop, trytond-admin -u MODULE, start), side by side, on SQLite and PostgreSQL.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/upkeep-erp/upkeep/agent/erp/tryton"
)

// target is the ratio upkeep's downtime must stay under.
const target = 1.15

func main() {
	runs := flag.Int("runs", 3, "runs of each procedure per backend")
	backends := flag.String("backends", "sqlite,postgresql", "comma list: sqlite, postgresql")
	upkeep := flag.String("upkeep", "", "the upkeep program (default: go build ./cmd/upkeep)")
	every := flag.Duration("poll", 20*time.Millisecond, "health poll interval")
	rows := flag.Int("rows", 0, "records seeded into the module's table")
	keep := flag.Bool("keep", false, "keep the work folder (servers are stopped)")
	flag.Parse()
	if err := run(*runs, strings.Split(*backends, ","), *upkeep, *every, *rows, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "downtime:", err)
		os.Exit(1)
	}
}

func run(runs int, backends []string, upkeep string, every time.Duration, rows int, keep bool) error {
	if _, err := os.Stat(tryton.DefaultAdmin); err != nil {
		return fmt.Errorf("trytond-admin of Tryton 6.0 is not installed (%w): run scripts/ensure-deps.sh", err)
	}
	work, err := os.MkdirTemp("", "upkeep-downtime-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("work folder:", work)
	} else {
		defer os.RemoveAll(work)
	}
	if upkeep == "" {
		if upkeep, err = build(work); err != nil {
			return err
		}
	}
	trytond, err := trytondVersion()
	if err != nil {
		return err
	}
	cr, err := serveRepository(work, trytond)
	if err != nil {
		return err
	}
	defer cr.close()
	if _, err := writeModule(filepath.Join(work, "release"), v2); err != nil {
		return err
	}
	for _, backend := range backends {
		if err := measure(work, strings.TrimSpace(backend), upkeep, cr, runs, every, rows); err != nil {
			return fmt.Errorf("%s: %w", backend, err)
		}
	}
	return nil
}

// pair is one run of each procedure.
type pair struct {
	bare, ours time.Duration
	bareUpdate time.Duration // the bare procedure's trytond-admin
	own        ourRun
}

// measure prepares the backend's base, runs both procedures runs times
// on fresh copies (alternating which goes first) and prints the results.
func measure(work, backend, upkeep string, cr *centralRepo, runs int, every time.Duration, rows int) error {
	var pg *pgCluster
	if backend == "postgresql" {
		var err error
		if pg, err = newPGCluster(); err != nil {
			return err
		}
		defer pg.drop()
	} else if backend != "sqlite" {
		return fmt.Errorf("unknown backend %q: use sqlite or postgresql", backend)
	}
	b, err := prepare(work, backend, pg, rows)
	if err != nil {
		return err
	}
	release := filepath.Join(work, "release", module)
	var pairs []pair
	for i := 1; i <= runs; i++ {
		var p pair
		order := []string{"bare", "ours"}
		if i%2 == 0 {
			slices.Reverse(order)
		}
		for _, which := range order {
			in, err := b.newInstance(fmt.Sprintf("%s%d", which, i))
			if err != nil {
				return err
			}
			if which == "bare" {
				p.bare, p.bareUpdate, err = in.bare(release, every)
			} else {
				p.ours, p.own, err = in.ours(upkeep, cr.url, cr.root, every)
			}
			in.stop()
			if err != nil {
				return err
			}
		}
		pairs = append(pairs, p)
	}
	report(b, pairs, every)
	return nil
}

// report prints the runs, the means and the ratio against the target.
func report(b *base, pairs []pair, every time.Duration) {
	size := "?"
	if b.pg != nil {
		size = b.pg.size(b.pgTmpl)
	} else if st, err := os.Stat(b.dbFile); err == nil {
		size = fmt.Sprintf("%.1f MiB", float64(st.Size())/(1<<20))
	}
	fmt.Printf("\n%s (database %s), one-module update (%s %s -> %s), server polled every %s:\n", b.backend, size, module, v1, v2, every)
	fmt.Println("The downtime is split into trytond-admin's run and the rest (the same trytond-admin runs in both; its time varies with the machine's load).")
	fmt.Printf("%-4s %8s %8s %6s | %-21s | %-21s | %s\n", "run", "bare", "upkeep", "ratio", "trytond-admin: bare upkeep",
		"the rest: bare upkeep", "upkeep's steps: stop backup install start; its own downtime (stop to healthy)")
	var sumBare, sumOurs, restBare, restOurs time.Duration
	for i, p := range pairs {
		s := p.own.steps
		sumBare, sumOurs = sumBare+p.bare, sumOurs+p.ours
		restBare, restOurs = restBare+p.bare-p.bareUpdate, restOurs+p.ours-s["update"]
		fmt.Printf("%-4d %8s %8s %6.3f | %12s %8s | %12s %8s | %s %s %s %s; %s\n", i+1, ms(p.bare), ms(p.ours), ratio(p.ours, p.bare),
			ms(p.bareUpdate), ms(s["update"]), ms(p.bare-p.bareUpdate), ms(p.ours-s["update"]),
			ms(s["stop"]), ms(s["backup"]), ms(s["install"]), ms(s["start"]), ms(p.own.downtime))
	}
	n := time.Duration(len(pairs))
	fmt.Printf("the rest, mean: bare %s, upkeep %s (upkeep adds %s)\n", ms(restBare/n), ms(restOurs/n), ms((restOurs-restBare)/n))
	r := ratio(sumOurs, sumBare)
	verdict := "met"
	if r > target {
		verdict = "MISSED"
	}
	fmt.Printf("%-4s %8s %8s %6.3f | target <= %.2f: %s\n", "mean", ms(sumBare/n), ms(sumOurs/n), r, target, verdict)
	fmt.Printf("downtime-%s: bare %s upkeep %s ratio %.3f\n", b.backend, ms(sumBare/n), ms(sumOurs/n), r)
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func ms(d time.Duration) string { return d.Round(time.Millisecond).String() }

// build compiles cmd/upkeep into dir.
func build(dir string) (string, error) {
	bin := filepath.Join(dir, "upkeep")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/upkeep")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/upkeep (run from the module's root, or pass -upkeep): %w\n%s", err, out)
	}
	return bin, nil
}

// trytondVersion is the installed trytond's version, the core's.
func trytondVersion() (string, error) {
	out, err := exec.Command(tryton.DefaultPython, "-c", "import trytond; print(trytond.__version__)").Output()
	if err != nil {
		return "", fmt.Errorf("%s cannot import trytond: %w", tryton.DefaultPython, err)
	}
	return strings.TrimSpace(string(out)), nil
}
