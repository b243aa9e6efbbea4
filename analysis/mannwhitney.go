package analysis

import (
	"math"
	"slices"
)

// MannWhitneyU tests whether the values of x tend to be greater than those
// of y (a one-sided Mann-Whitney U test, also called the Wilcoxon rank-sum
// test). It returns U, the number of pairs (x[i], y[j]) with x[i] > y[j]
// (ties count one half), and p, the probability of a U at least that large
// if x and y came from the same distribution.
//
// p comes from the normal approximation of U's distribution, with the
// correction for ties and a continuity correction of one half. It is close
// to the exact p (within about 0.01) once both samples hold 8 or more
// values, and conservative-to-rough below that: with fewer than 3 values
// in either sample the test cannot reach p < 0.05 and a judge should call
// the result inconclusive. Judging at p < 0.05 is a 95% confidence that
// the canary is worse; the false alarm rate is 5% per measurement, which
// failure_limit absorbs. It returns p = 1 when either sample is empty.
func MannWhitneyU(x, y []float64) (u, p float64) {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return 0, 1
	}
	type obs struct {
		v    float64
		inX  bool
		rank float64
	}
	all := make([]obs, 0, n1+n2)
	for _, v := range x {
		all = append(all, obs{v: v, inX: true})
	}
	for _, v := range y {
		all = append(all, obs{v: v})
	}
	slices.SortStableFunc(all, func(a, b obs) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	// Average ranks over ties; tieSum is the sum of t³ - t over tie groups.
	tieSum := 0.0
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		r := float64(i+j+1) / 2 // ranks i+1 .. j, averaged
		for k := i; k < j; k++ {
			all[k].rank = r
		}
		if t := float64(j - i); t > 1 {
			tieSum += t*t*t - t
		}
		i = j
	}
	rx := 0.0
	for _, o := range all {
		if o.inX {
			rx += o.rank
		}
	}
	f1, f2 := float64(n1), float64(n2)
	u = rx - f1*(f1+1)/2
	n := f1 + f2
	mean := f1 * f2 / 2
	variance := f1 * f2 / 12 * ((n + 1) - tieSum/(n*(n-1)))
	if variance <= 0 {
		return u, 1 // every value equal: no evidence either way
	}
	z := (u - mean - 0.5) / math.Sqrt(variance)
	p = 0.5 * math.Erfc(z/math.Sqrt2)
	return u, p
}
