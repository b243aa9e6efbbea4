package view

import (
	"image"
	"image/png"
	"io"
	"testing"
)

// checkPNG decodes a rendered picture and checks its width and that it
// holds several colours in quantity: areas, bands and text, not a blank
// or single-colour page.
func checkPNG(t *testing.T, r io.Reader) {
	t.Helper()
	img, err := png.Decode(r)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if w := img.Bounds().Dx(); w != svgWidth {
		t.Errorf("PNG width %d, want %d", w, svgWidth)
	}
	counts := map[[3]uint32]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			counts[rgb(img, x, y)]++
		}
	}
	big := 0
	for _, n := range counts {
		if n >= 200 {
			big++
		}
	}
	if big < 5 {
		t.Errorf("the PNG has %d colours covering a real area, want at least 5 (white, areas, bands)", big)
	}
}

func rgb(img image.Image, x, y int) [3]uint32 {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]uint32{r >> 8, g >> 8, b >> 8}
}
