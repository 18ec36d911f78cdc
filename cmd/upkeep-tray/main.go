// Command upkeep-tray is the admin's tray app: it wires the Fyne app, the local API client and the tray shell.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/upkeep-erp/upkeep/agent/api"
	"github.com/upkeep-erp/upkeep/gui/tray"
	"github.com/upkeep-erp/upkeep/gui/views"
)

func main() {
	socket := flag.String("socket", "", "the agent's local API socket (default: "+api.DefaultPath()+")")
	screen := flag.String("screen", "", "open the window on this screen at start: updates, upgrades, blocked, enforce, installed, run, history or settings")
	size := flag.String("size", "", "the window's size, WIDTHxHEIGHT (default 1000x680)")
	flag.Parse()
	var w, h float32
	if *size != "" {
		if _, err := fmt.Sscanf(*size, "%fx%f", &w, &h); err != nil || w <= 0 || h <= 0 {
			fmt.Fprintf(os.Stderr, "upkeep-tray: --size %q: give WIDTHxHEIGHT, e.g. 1100x720\n", *size)
			os.Exit(2)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := app.NewWithID("io.upkeep.tray")
	shell := tray.New(&views.Env{App: a, Agent: &api.Client{Path: *socket}, Ctx: ctx})
	if w > 0 {
		shell.Window.Win.Resize(fyne.NewSize(w, h))
	}
	if err := shell.OpenAtStart(*screen); err != nil {
		fmt.Fprintln(os.Stderr, "upkeep-tray:", err)
		os.Exit(2)
	}
	shell.Start(ctx)
	a.Run()
}
