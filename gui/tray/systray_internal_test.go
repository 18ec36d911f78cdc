package tray

import (
	"bytes"
	"image/color"
	"image/png"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/upkeep-erp/upkeep/gui/presenter"
)

func TestTrayPictureIsAPNGOfTheIconState(t *testing.T) {
	a := test.NewApp()
	t.Cleanup(a.Quit)
	data, err := trayPicture(Icon(presenter.IconFailed))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != iconSize || b.Dy() != iconSize {
		t.Fatalf("size %v, want %d pixels square", b, iconSize)
	}
	// The failed state is a red disc: its edge, inside the disc, is red.
	edge := color.NRGBAModel.Convert(img.At(iconSize/2, iconSize/10)).(color.NRGBA)
	if edge.A == 0 || edge.R < 150 || edge.G > 80 {
		t.Errorf("the disc's edge is %v, want red", edge)
	}
	corner := color.NRGBAModel.Convert(img.At(0, 0)).(color.NRGBA)
	if corner.A != 0 {
		t.Errorf("the corner is %v, want transparent", corner)
	}
}
