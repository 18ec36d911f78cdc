// Command repobench measures the central repository on the synthetic benchmark catalog: generate and sign, publish one version, and print the figures.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"sort"
	"time"

	"github.com/upkeep-erp/upkeep/catalog/synth"
	"github.com/upkeep-erp/upkeep/platform"
	"github.com/upkeep-erp/upkeep/repo"
	"github.com/upkeep-erp/upkeep/repo/sample"
)

func main() {
	modules := flag.Int("modules", 20000, "synthetic modules")
	versions := flag.Int("versions", 10, "versions per module")
	dir := flag.String("dir", "", "repository directory (default: a new temp dir, removed at the end)")
	publishes := flag.Int("publishes", 5, "single-version publishes to time")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "repobench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*dir, synth.Config{Modules: *modules, VersionsPerModule: *versions, Seed: 1}, *publishes); err != nil {
		fmt.Fprintln(os.Stderr, "repobench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(dir string, cfg synth.Config, publishes int) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "repobench-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp + "/repo"
	}
	if _, err := repo.Init(dir, repo.InitOptions{}); err != nil {
		return err
	}
	s, err := repo.Open(dir, repo.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	ctx := context.Background()
	start := time.Now()
	rels := synth.Generate(cfg)
	gen := time.Since(start)
	imp := make([]repo.ImportRelease, len(rels))
	for i, r := range rels {
		imp[i] = repo.ImportRelease{Manifest: r.Manifest, Archive: r.Archive}
	}
	res, err := s.Import(ctx, imp, repo.LocalActor("bench"))
	if err != nil {
		return err
	}
	total := time.Since(start)
	fmt.Printf("load catalog (generate, insert, place, list and sign): %d modules, %d versions, %d listings in %v: generate %v, import+sign %v; peak RSS %.0f MiB\n",
		cfg.Modules, res.Versions, res.Listings, total.Round(time.Millisecond), gen.Round(time.Millisecond),
		(total - gen).Round(time.Millisecond), float64(platform.PeakRSS())/(1<<20))
	start = time.Now()
	if _, err := s.Resign(ctx); err != nil {
		return err
	}
	fmt.Printf("regenerate and sign all metadata (%d listings, every bin, snapshot, timestamp): %v; peak RSS %.0f MiB\n",
		res.Listings, time.Since(start).Round(time.Millisecond), float64(platform.PeakRSS())/(1<<20))
	if err := timePublishes(ctx, s, cfg, publishes); err != nil {
		return err
	}
	fmt.Println("bytes on the wire for an agent of repository 2.50:")
	return measureWire(ctx, s, min(400, cfg.Modules), cfg.Modules)
}

func timePublishes(ctx context.Context, s *repo.Store, cfg synth.Config, n int) error {
	var times []time.Duration
	for i := 0; i < n; i++ {
		m := sample.Module{Name: synth.ModuleName(i * 7), Version: "1.9.0", Summary: "bench publish", DefaultUpgrade: true,
			Maturity: "beta", Depends: []string{"core>=2.50.0"}}
		data, err := m.Archive()
		if err != nil {
			return err
		}
		start := time.Now()
		if _, err := s.Publish(ctx, data, repo.LocalActor("bench")); err != nil {
			return err
		}
		times = append(times, time.Since(start))
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	fmt.Printf("publish one version into the catalog: median %v, max %v (n=%d)\n",
		times[len(times)/2].Round(time.Microsecond), times[len(times)-1].Round(time.Microsecond), n)
	return nil
}
