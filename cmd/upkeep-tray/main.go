package main

import (
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

var _ desktop.App
var _ = test.NewApp

func main() { a := app.New(); w := a.NewWindow("x"); w.SetContent(widget.NewLabel("x")); _ = w }
