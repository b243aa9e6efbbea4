package analysis

import (
	"math"
	"testing"
)

// TestMannWhitneyU checks U and p against values worked out by hand from
// the ranks (ties averaged) and the normal approximation with the tie and
// continuity corrections, the asymptotic method of the usual statistics
// packages.
func TestMannWhitneyU(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
		u, p float64
	}{
		{"x all greater", []float64{6, 7, 8, 9, 10}, []float64{1, 2, 3, 4, 5}, 25, 0.006092},
		{"x all smaller", []float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 0, 0.9967},
		{"ties", []float64{1, 2, 2, 3, 4}, []float64{2, 3, 3, 4, 5}, 6.5, 0.9187},
		{"one empty", nil, []float64{1}, 0, 1},
		{"all equal", []float64{1, 1}, []float64{1, 1}, 2, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, p := MannWhitneyU(tt.x, tt.y)
			if u != tt.u || math.Abs(p-tt.p) > 0.001 {
				t.Errorf("MannWhitneyU = %v, %.6f; want %v, %.6f", u, p, tt.u, tt.p)
			}
		})
	}
}
