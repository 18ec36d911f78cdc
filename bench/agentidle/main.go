// Command agentidle measures the agent's idle footprint: `upkeep run` scanning the demo repository every minute for a while, with its resident memory and CPU time read from /proc.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"
)

// Targets of issue 5 for one hour: resident memory under 30 MB (decimal),
// CPU time under one second.
const (
	targetRSS = 30_000_000
	targetCPU = time.Second
)

func main() {
	dur := flag.Duration("for", time.Hour, "how long the agent runs")
	every := flag.Duration("sample", 10*time.Second, "how often /proc is read")
	upkeep := flag.String("upkeep", "", "the upkeep program (default: go build ./cmd/upkeep)")
	keep := flag.Bool("keep", false, "keep the work folder")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *dur, *every, *upkeep, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "agentidle:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dur, every time.Duration, upkeep string, keep bool) error {
	work, err := os.MkdirTemp("", "upkeep-idle-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("work folder:", work)
	} else {
		defer os.RemoveAll(work)
	}
	if upkeep == "" {
		upkeep = filepath.Join(work, "upkeep")
		if out, err := exec.Command("go", "build", "-o", upkeep, "./cmd/upkeep").CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/upkeep: %w\n%s", err, out)
		}
	}
	dir := filepath.Join(work, "demo")
	// The demo prepares the repository, the demo ERP and a configuration; --no-apply keeps the patches for the scans to find.
	if out, err := exec.CommandContext(ctx, upkeep, "demo", "--dir", dir, "--no-apply").CombinedOutput(); err != nil {
		return fmt.Errorf("upkeep demo: %w\n%s", err, out)
	}
	repoAddr, err := freeAddr()
	if err != nil {
		return err
	}
	repoBin := filepath.Join(work, "upkeep-repo")
	if out, err := exec.Command("go", "build", "-o", repoBin, "./cmd/upkeep-repo").CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/upkeep-repo: %w\n%s", err, out)
	}
	repoSrv := exec.Command(repoBin, "serve", "--dir", filepath.Join(dir, "repo"), "--addr", repoAddr)
	repoSrv.Stdout, repoSrv.Stderr = os.Stderr, os.Stderr
	if err := repoSrv.Start(); err != nil {
		return fmt.Errorf("start upkeep-repo serve: %w", err)
	}
	defer func() { _ = repoSrv.Process.Signal(syscall.SIGTERM); _ = repoSrv.Wait() }()
	conf := filepath.Join(dir, "idle.toml")
	if err := writeConfig(filepath.Join(dir, "upkeep.toml"), conf, "http://"+repoAddr); err != nil {
		return err
	}
	return measure(ctx, upkeep, conf, filepath.Join(dir, "idle-agent.log"), dur, every)
}

// writeConfig copies the demo's configuration with the repository's new
// address and a scan every minute that only notifies.
func writeConfig(from, to, repoURL string) error {
	var conf map[string]any
	if _, err := toml.DecodeFile(from, &conf); err != nil {
		return fmt.Errorf("read the demo's configuration: %w", err)
	}
	conf["repository"].(map[string]any)["url"] = repoURL
	conf["schedule"] = map[string]any{"every": "1m", "jitter": "5s",
		"policy": map[string]any{"patches": "notify", "updates": "notify", "upgrades": "notify"}}
	var b bytes.Buffer
	if err := toml.NewEncoder(&b).Encode(conf); err != nil {
		return err
	}
	return os.WriteFile(to, b.Bytes(), 0o600)
}

// measure runs the agent for dur and prints its resident memory and CPU
// time every sample, then the totals against the targets.
func measure(ctx context.Context, upkeep, conf, logPath string, dur, every time.Duration) error {
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	agent := exec.Command(upkeep, "--config", conf, "run")
	agent.Stdout, agent.Stderr = logf, logf
	if err := agent.Start(); err != nil {
		return fmt.Errorf("start upkeep run: %w", err)
	}
	defer func() { _ = agent.Process.Signal(syscall.SIGTERM); _ = agent.Wait() }()
	pid := agent.Process.Pid
	start := time.Now()
	fmt.Printf("agent pid %d, running for %s, sampling every %s\n", pid, dur, every)
	// Resident memory is anonymous (heap, stacks, C allocations) plus the
	// program's own pages mapped from its file (code, read-only data).
	fmt.Println("elapsed\trss_MiB\tanon_MiB\tfile_MiB\tpeak_MiB\tcpu_s\tscans")
	var last sample
	for time.Since(start) < dur {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
		s, err := read(pid)
		if err != nil {
			return fmt.Errorf("the agent stopped (see %s): %w", logPath, err)
		}
		last = s
		fmt.Printf("%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.3f\t%d\n", time.Since(start).Round(time.Second),
			mib(s.rss), mib(s.anon), mib(s.file), mib(s.hwm), s.cpu.Seconds(), scans(logPath))
	}
	perHour := time.Duration(float64(last.cpu) * float64(time.Hour) / float64(time.Since(start)))
	fmt.Printf("after %s: %d scans, resident %.1f MiB = %.1f MB (anon %.1f MiB, file %.1f MiB; peak %.1f MiB; target < %.1f MB: %s), "+
		"CPU %.3f s (%.3f s per hour; target < %s: %s)\n",
		time.Since(start).Round(time.Second), scans(logPath), mib(last.rss), float64(last.rss)/1e6, mib(last.anon), mib(last.file), mib(last.hwm),
		float64(targetRSS)/1e6, verdict(last.rss < targetRSS), last.cpu.Seconds(), perHour.Seconds(), targetCPU, verdict(perHour < targetCPU))
	return nil
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "missed"
}

type sample struct {
	rss, anon, file, hwm int64
	cpu                  time.Duration
}

// read takes VmRSS (RssAnon + RssFile + RssShmem), RssAnon, RssFile and
// VmHWM from /proc/PID/status and utime+stime from /proc/PID/stat (clock
// ticks of 1/100 s on Linux).
func read(pid int) (sample, error) {
	var s sample
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	fields := map[string]*int64{"VmRSS:": &s.rss, "RssAnon:": &s.anon, "RssFile:": &s.file, "VmHWM:": &s.hwm}
	for _, line := range strings.Split(string(status), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && fields[f[0]] != nil {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			*fields[f[0]] = kb << 10
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	s.cpu = time.Duration(ut+st) * 10 * time.Millisecond
	return s, nil
}

// scans counts the finished scans the agent logged.
func scans(logPath string) int {
	b, _ := os.ReadFile(logPath)
	return bytes.Count(b, []byte("scan finished"))
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
