//go:build linux

package platform

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Processes lists the running processes from /proc (those that exit while
// it reads are left out).
func Processes() ([]ProcInfo, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list the processes: %w", err)
	}
	var out []ProcInfo
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		if p, err := readStat(pid); err == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// readStat reads /proc/PID/stat: pid (comm) state ppid pgrp session tty_nr
// … starttime (the 22nd field); comm may hold spaces and parentheses.
func readStat(pid int) (ProcInfo, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcInfo{}, err
	}
	return parseStat(pid, stat)
}

// parseStat parses the content of /proc/PID/stat.
func parseStat(pid int, stat []byte) (ProcInfo, error) {
	var err error
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return ProcInfo{}, fmt.Errorf("/proc/%d/stat is not in the expected format", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 20 {
		return ProcInfo{}, fmt.Errorf("/proc/%d/stat is not in the expected format", pid)
	}
	var n [4]int
	for k := range n {
		if n[k], err = strconv.Atoi(f[k+1]); err != nil {
			return ProcInfo{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
	}
	return ProcInfo{PID: pid, PPID: n[0], PGID: n[1], SID: n[2], HasTTY: n[3] != 0, Token: f[19], Zombie: f[0] == "Z"}, nil
}

// ProcessRunning reports whether process pid runs: alive and not a zombie
// (a process that exited and that its parent, often init, has not reaped).
func ProcessRunning(pid int) bool {
	if !ProcessAlive(pid) {
		return false
	}
	p, err := readStat(pid)
	return err != nil || !p.Zombie
}

// ListeningSockets returns the listening TCP sockets that the processes
// pids hold open, as socket inode → port, from /proc/PID/fd and
// /proc/net/tcp and tcp6.
func ListeningSockets(pids []int) (map[uint64]int, error) {
	listening, err := tcpListeners()
	if err != nil {
		return nil, err
	}
	out := map[uint64]int{}
	for _, pid := range pids {
		for _, ino := range socketInodes(pid) {
			if port, ok := listening[ino]; ok {
				out[ino] = port
			}
		}
	}
	return out, nil
}

// StillListening reports which of the sockets (inode → port) still listen.
func StillListening(sockets map[uint64]int) (map[uint64]int, error) {
	listening, err := tcpListeners()
	if err != nil {
		return nil, err
	}
	out := map[uint64]int{}
	for ino, port := range sockets {
		if _, ok := listening[ino]; ok {
			out[ino] = port
		}
	}
	return out, nil
}

// SocketHolders returns the processes that hold any of the sockets open.
func SocketHolders(sockets map[uint64]int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		for _, ino := range socketInodes(pid) {
			if _, ok := sockets[ino]; ok {
				out = append(out, pid)
				break
			}
		}
	}
	return out
}

// socketInodes lists the socket inodes among pid's open files.
func socketInodes(pid int) []uint64 {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	fds, _ := os.ReadDir(dir)
	var out []uint64
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(dir, fd.Name()))
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		if ino, err := strconv.ParseUint(strings.TrimSuffix(link[len("socket:["):], "]"), 10, 64); err == nil {
			out = append(out, ino)
		}
	}
	return out
}

// tcpListeners reads the listening TCP sockets: inode → local port.
func tcpListeners() (map[uint64]int, error) {
	out := map[uint64]int{}
	for _, name := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(name)
		if os.IsNotExist(err) {
			continue // no IPv6
		}
		if err != nil {
			return nil, fmt.Errorf("read the listening sockets: %w", err)
		}
		parseTCPTable(bufio.NewScanner(f), out)
		f.Close()
	}
	return out, nil
}

// tcpListen is the state column's value for a listening socket.
const tcpListen = "0A"

// parseTCPTable adds the listening sockets of a /proc/net/tcp table:
// "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode".
func parseTCPTable(sc *bufio.Scanner, into map[uint64]int) {
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[3] != tcpListen {
			continue
		}
		_, portHex, ok := strings.Cut(f[1], ":")
		port, perr := strconv.ParseUint(portHex, 16, 16)
		ino, ierr := strconv.ParseUint(f[9], 10, 64)
		if ok && perr == nil && ierr == nil && ino != 0 {
			into[ino] = int(port)
		}
	}
}
