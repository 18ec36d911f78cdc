package views

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// table lays out rows of cells in columns as wide as their widest cell,
// so that no text is cut: the last column takes what is left.
func table(rows ...[]fyne.CanvasObject) *fyne.Container {
	cols := &columns{}
	for _, r := range rows {
		for i, c := range r {
			if i >= len(cols.widths) {
				cols.widths = append(cols.widths, 0)
			}
			cols.widths[i] = max(cols.widths[i], c.MinSize().Width)
		}
	}
	box := container.NewVBox()
	for _, r := range rows {
		box.Add(container.New(cols, r...))
	}
	return box
}

// columns is the layout of one table row; the rows of a table share it.
type columns struct{ widths []float32 }

func (c *columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding() * 2
	x := float32(0)
	for i, o := range objs {
		w := c.widths[i]
		if i == len(objs)-1 {
			w = max(w, size.Width-x)
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + pad
	}
}

func (c *columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	pad := theme.Padding() * 2
	var s fyne.Size
	for i, o := range objs {
		s.Width += c.widths[i]
		if i > 0 {
			s.Width += pad
		}
		s.Height = max(s.Height, o.MinSize().Height)
	}
	return s
}
