package tray

import (
	"bytes"
	"fmt"
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

// TestTrayPictureEdgesKeepTheirColour: every visible pixel of every icon
// is a mix of the disc's colour and the glyph's white, edge pixels too
// (a premultiplied edge read back gave them stray hues, pure blue on the
// blue disc), and nearly transparent pixels are fully transparent.
func TestTrayPictureEdgesKeepTheirColour(t *testing.T) {
	a := test.NewApp()
	t.Cleanup(a.Quit)
	for _, ic := range presenter.Icons() {
		data, err := trayPicture(Icon(ic))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		var fill color.NRGBA
		fmt.Sscanf(iconSVG[ic].fill, "#%02x%02x%02x", &fill.R, &fill.G, &fill.B)
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				if c.A == 0 {
					continue
				}
				if c.A < 8 {
					t.Errorf("%s (%d,%d) = %v: nearly transparent but not transparent", ic, x, y, c)
				}
				if d := offMix(c, fill); d > 24 {
					t.Errorf("%s (%d,%d) = %v is %d off any mix of %v and white", ic, x, y, c, d, fill)
				}
			}
		}
	}
}

// offMix is how far c is from the nearest mix of fill and white, in the
// largest channel difference.
func offMix(c, fill color.NRGBA) int {
	best := 255
	for i := 0; i <= 64; i++ {
		f := float64(i) / 64
		mix := func(a uint8) int { return int(float64(a)*(1-f) + 255*f + 0.5) }
		d := max(abs(int(c.R)-mix(fill.R)), abs(int(c.G)-mix(fill.G)), abs(int(c.B)-mix(fill.B)))
		best = min(best, d)
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
