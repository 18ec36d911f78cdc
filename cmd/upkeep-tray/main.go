// Command upkeep-tray is the admin's tray app: it wires the Fyne app, the local API client and the tray, or with --window the window process the tray starts.
package main

import (
	"flag"
	"fmt"
	"os"

	"fyne.io/fyne/v2/app"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/tray"
	"github.com/upkeep-erp/upkeep/gui/views"
)

func main() {
	socket := flag.String("socket", "", "the agent's local API socket (default: "+api.DefaultPath()+")")
	screen := flag.String("screen", "", "open the window on this screen at start: updates, upgrades, blocked, enforce, installed, run, history or settings")
	size := flag.String("size", "", "the window's size, WIDTHxHEIGHT (default 1000x680)")
	window := flag.Bool("window", false, "be the window process the tray starts: it reads screens to show on its input and ends when the window is closed or its input ends")
	flag.Parse()
	o := tray.Options{Socket: *socket, Screen: *screen}
	if *size != "" {
		if _, err := fmt.Sscanf(*size, "%fx%f", &o.Size.Width, &o.Size.Height); err != nil || o.Size.Width <= 0 || o.Size.Height <= 0 {
			fail(fmt.Errorf("--size %q: give WIDTHxHEIGHT, e.g. 1100x720", *size))
		}
	}
	a := app.NewWithID("io.upkeep.tray")
	agent := &api.Client{Path: *socket, Name: "tray"}
	if *window {
		fail(tray.RunWindow(&views.Env{App: a, Agent: agent}, o, os.Stdin))
		return
	}
	command, err := tray.WindowCommand(o)
	if err != nil {
		fail(err)
	}
	fail(tray.RunTray(a, agent, o, command))
}

// fail ends the program with err's message, if there is one.
func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "upkeep-tray:", err)
		os.Exit(2)
	}
}
