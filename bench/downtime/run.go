package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/upkeep-erp/upkeep/agent/apply"
	"github.com/upkeep-erp/upkeep/agent/erp"
	"github.com/upkeep-erp/upkeep/agent/erp/proc"
	"github.com/upkeep-erp/upkeep/agent/erp/tryton"
	"github.com/upkeep-erp/upkeep/agent/store"
)

// instance is one run's copy of the base: its own overlay, database,
// trytond.conf on a free port, and server under pidfile control.
type instance struct {
	b                                    *base
	dir, overlay, conf, db, pidfile, url string
	srv                                  erp.Server
}

// newInstance copies the base and starts its server.
func (b *base) newInstance(tag string) (*instance, error) {
	in := &instance{b: b, dir: filepath.Join(filepath.Dir(b.dir), fmt.Sprintf("%s-%d-%s", b.backend, b.rows, tag))}
	in.overlay, in.pidfile, in.conf = filepath.Join(in.dir, "overlay"), filepath.Join(in.dir, "trytond.pid"), filepath.Join(in.dir, "trytond.conf")
	if err := os.MkdirAll(in.dir, 0o755); err != nil {
		return nil, err
	}
	if err := tryton.CloneOverlay(b.overlay, in.overlay, ""); err != nil {
		return nil, err
	}
	section, name, err := b.newDatabase(in.dir, tag)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	in.db, in.url = name, fmt.Sprintf("http://127.0.0.1:%d/", port)
	if err := os.WriteFile(in.conf, []byte(section+fmt.Sprintf("[web]\nlisten = 127.0.0.1:%d\n", port)), 0o600); err != nil {
		return nil, err
	}
	in.srv, err = proc.New(proc.Config{PIDFile: in.pidfile, Start: tryton.ServerCommand(in.config(), in.pidfile, ""), StopTimeout: 10 * time.Second})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := in.srv.Start(ctx); err != nil {
		return nil, err
	}
	return in, waitUp(in.url, 2*time.Minute)
}

func (in *instance) config() tryton.Config {
	return tryton.Config{TrytondConf: in.conf, Database: in.db, Overlay: in.overlay}
}

// stop stops the instance's server, whoever started it last.
func (in *instance) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := in.srv.Stop(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "downtime: stop the server:", err)
	}
}

// bareScript is the manual procedure an admin scripts: stop the server,
// put the new module folder in place, trytond-admin -u, start the server.
const bareScript = `set -euo pipefail
pid=$(cat "$PIDFILE")
kill -TERM -- "-$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
mv "$MODULES/$MODULE" "$DIR/$MODULE.old"
cp -r "$RELEASE" "$MODULES/$MODULE"
began=$EPOCHREALTIME
PYTHONPATH="$OVERLAY" trytond-admin -c "$CONF" -d "$DB" -u "$MODULE"
echo "update-took $began $EPOCHREALTIME"
PYTHONPATH="$OVERLAY" setsid trytond -c "$CONF" -d "$DB" --pidfile "$PIDFILE" >>"$PIDFILE.log" 2>&1 </dev/null &
`

// bare runs the manual procedure and returns the downtime it caused, how
// long its trytond-admin took and the CPU time of the script and what it
// waited for (trytond-admin; not the server it leaves running).
func (in *instance) bare(release string, every time.Duration) (time.Duration, time.Duration, time.Duration, error) {
	cmd := exec.Command("bash", "-c", bareScript)
	cmd.Env = append(os.Environ(), "PIDFILE="+in.pidfile, "MODULES="+filepath.Join(in.overlay, "trytond", "modules"), "MODULE="+module,
		"DIR="+in.dir, "RELEASE="+release, "OVERLAY="+in.overlay, "CONF="+in.conf, "DB="+in.db, "PYTHONDONTWRITEBYTECODE=1")
	p := startPoller(in.url, every)
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.finish()
		return 0, 0, 0, fmt.Errorf("the bare procedure: %w\n%s", err, out)
	}
	var began, ended float64
	i := bytes.Index(out, []byte("update-took"))
	if _, err := fmt.Sscanf(string(out[max(i, 0):]), "update-took %f %f", &began, &ended); i < 0 || err != nil {
		p.finish()
		return 0, 0, 0, fmt.Errorf("the bare procedure's output lacks the update's time: %v\n%s", err, out)
	}
	d, err := p.finish()
	return d, time.Duration((ended - began) * float64(time.Second)), cpu(cmd.ProcessState), err
}

// cpu is the user and system time of a finished process and of the
// children it waited for.
func cpu(ps *os.ProcessState) time.Duration {
	if ps == nil {
		return 0
	}
	return ps.UserTime() + ps.SystemTime()
}

// ourRun is what upkeep apply reported besides the measured downtime.
type ourRun struct {
	downtime time.Duration // the runner's own: stop to health checks passed
	steps    map[string]time.Duration
	cpu      time.Duration // upkeep's and trytond-admin's CPU time
}

// ours runs upkeep apply --yes and returns the downtime it caused; with
// failing, the update must fail and the instance be restored.
func (in *instance) ours(upkeep, repoURL, root string, every time.Duration, failing bool) (time.Duration, ourRun, error) {
	conf, err := in.agentConfig(repoURL, root)
	if err != nil {
		return 0, ourRun{}, err
	}
	cmd := exec.Command(upkeep, "--config", conf, "apply", "--yes", "--json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	p := startPoller(in.url, every)
	err = cmd.Run()
	var res apply.Result
	want := map[bool]string{false: store.RunSucceeded, true: store.RunFailedRestored}[failing]
	if jerr := json.Unmarshal(stdout.Bytes(), &res); (err != nil) != failing || jerr != nil || res.State != want {
		p.finish()
		return 0, ourRun{}, fmt.Errorf("upkeep apply: %v, state %q (want %s): %s\n%s", err, res.State, want, res.Error, stderr.String())
	}
	d, err := p.finish()
	return d, ourRun{downtime: res.Downtime, steps: stepTimes(stderr.String()), cpu: cpu(cmd.ProcessState)}, err
}

// agentConfig writes upkeep's configuration for the instance.
func (in *instance) agentConfig(repoURL, root string) (string, error) {
	start, _ := json.Marshal(tryton.ServerCommand(in.config(), in.pidfile, ""))
	body := fmt.Sprintf(`[erp]
kind = "tryton"
[erp.tryton]
trytond_conf = %q
database = %q
modules_overlay = %q
user = "admin"
password_file = %q
[erp.server]
pidfile = %q
start = %s
stop_timeout = "10s"
[repository]
url = %q
trusted_root = %q
[state]
dir = %q
`, in.conf, in.db, in.overlay, in.b.passfile, in.pidfile, start, repoURL, root, filepath.Join(in.dir, "state"))
	conf := filepath.Join(in.dir, "upkeep.toml")
	return conf, os.WriteFile(conf, []byte(body), 0o600)
}

// stepLine is a finished step in upkeep apply's progress (not a terminal).
var stepLine = regexp.MustCompile(`^\[\d+/\d+\] (.+?)  ok \(([^,]+), `)

// stepTimes reads each finished step's time from the progress, by the
// step's kind (its first word).
func stepTimes(progress string) map[string]time.Duration {
	out := map[string]time.Duration{}
	sc := bufio.NewScanner(strings.NewReader(progress))
	for sc.Scan() {
		m := stepLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if d, err := time.ParseDuration(m[2]); err == nil {
			kind, _, _ := strings.Cut(m[1], " ")
			out[strings.TrimSuffix(kind, ":")] += d
			if strings.HasPrefix(m[1], "restore: the database") {
				out["restore-db"] += d
			}
		}
	}
	return out
}

// poller asks the server common.server.version every interval from its
// own goroutine and records when it answered and when it did not.
type poller struct {
	url    string
	client *http.Client
	stop   chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	lastOK time.Time     // the last answer before the current outage
	down   bool          // in an outage
	worst  time.Duration // the longest outage: last answer before it to first answer after it
	began  time.Time
}

func startPoller(url string, every time.Duration) *poller {
	p := &poller{url: url, stop: make(chan struct{}), done: make(chan struct{}), lastOK: time.Now(),
		client: &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}}
	go p.run(every)
	return p
}

func (p *poller) run(every time.Duration) {
	defer close(p.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		ok, at := answers(p.client, p.url), time.Now()
		p.mu.Lock()
		switch {
		case ok && p.down:
			p.worst, p.down = max(p.worst, at.Sub(p.lastOK)), false
			p.lastOK = at
		case ok:
			p.lastOK = at
		case !p.down:
			p.down, p.began = true, at
		}
		p.mu.Unlock()
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
	}
}

// finish waits until the poller sees the server answer again (2 minutes
// at most), stops it and returns the longest outage it saw.
func (p *poller) finish() (time.Duration, error) {
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if !down {
			break
		}
	}
	close(p.stop)
	<-p.done
	if p.down {
		return 0, fmt.Errorf("the server at %s still does not answer (down since %s)", p.url, p.began.Format(time.TimeOnly))
	}
	if p.worst == 0 {
		return 0, fmt.Errorf("the server at %s never stopped answering: the poll missed the outage", p.url)
	}
	return p.worst, nil
}

// answers reports whether the server answers common.server.version.
func answers(c *http.Client, url string) bool {
	resp, err := c.Post(url, "application/json", strings.NewReader(`{"id":1,"method":"common.server.version","params":[]}`))
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var a struct {
		Result string `json:"result"`
	}
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&a) == nil && a.Result != ""
}

// waitUp waits until the server answers.
func waitUp(url string, limit time.Duration) error {
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	for deadline := time.Now().Add(limit); !answers(c, url); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the server at %s does not answer after %s", url, limit)
		}
	}
	return nil
}
