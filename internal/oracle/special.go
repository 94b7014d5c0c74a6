package oracle

import (
	"math"

	"github.com/gokeops/gokeops/pkg/formula"
)

func special(c *formula.Call, x [][]float64) []float64 {
	switch c.Op {
	case formula.OpBSpline:
		return bspline(x[0], x[1][0], c.Ints[0])
	case formula.OpSoftDTWSqDist:
		r, _ := softDTW(x[0], x[1], x[2][0])
		return []float64{r[len(x[0])-1][len(x[1])-1]}
	case formula.OpSoftDTWSqDistGrad:
		dx, dy := softDTWGrad(x[0], x[1], x[2][0])
		g := dx
		if c.Ints[0] == 1 {
			g = dy
		}
		for k := range g {
			g[k] *= x[3][0]
		}
		return g
	}
	return nil
}

// bspline evaluates the B-splines of degree k on the knots at t with the
// Cox–de Boor recursion; a ratio whose denominator is zero counts as 0.
func bspline(knots []float64, t float64, k int) []float64 {
	n := len(knots)
	b := make([]float64, n-1) // degree 0
	for i := range b {
		if knots[i] <= t && t < knots[i+1] {
			b[i] = 1
		}
	}
	ratio := func(num, den float64) float64 {
		if den == 0 {
			return 0
		}
		return num / den
	}
	for p := 1; p <= k; p++ {
		next := make([]float64, n-1-p)
		for i := range next {
			next[i] = ratio(t-knots[i], knots[i+p]-knots[i])*b[i] +
				ratio(knots[i+p+1]-t, knots[i+p+1]-knots[i+1])*b[i+1]
		}
		b = next
	}
	return b
}

// softDTW fills the soft-DTW table R of spec §7.5 for the cost
// d(i,j) = (X_i - Y_j)^2, and the soft-min weights w[i][j] of the three
// predecessors of each cell (diagonal, up, left), for the gradient.
func softDTW(x, y []float64, gamma float64) (r [][]float64, w [][][3]float64) {
	n, m := len(x), len(y)
	r = make([][]float64, n)
	w = make([][][3]float64, n)
	for i := range n {
		r[i] = make([]float64, m)
		w[i] = make([][3]float64, m)
		for j := range m {
			d := (x[i] - y[j]) * (x[i] - y[j])
			switch {
			case i == 0 && j == 0:
				r[i][j] = d
			case j == 0:
				r[i][j], w[i][j][1] = d+r[i-1][0], 1
			case i == 0:
				r[i][j], w[i][j][2] = d+r[0][j-1], 1
			default:
				p := [3]float64{r[i-1][j-1], r[i-1][j], r[i][j-1]}
				mu := math.Min(p[0], math.Min(p[1], p[2]))
				s := 0.0
				for k, v := range p {
					w[i][j][k] = math.Exp((mu - v) / gamma)
					s += w[i][j][k]
				}
				for k := range p {
					w[i][j][k] /= s
				}
				r[i][j] = d + mu - gamma*math.Log(s)
			}
		}
	}
	return r, w
}

// softDTWGrad is the gradient of soft-DTW with respect to X and Y: the
// adjoint E(i,j) = dR(n-1,m-1)/dR(i,j) flows back through the weights,
// then each cell's cost contributes 2(X_i-Y_j) E(i,j).
func softDTWGrad(x, y []float64, gamma float64) (dx, dy []float64) {
	n, m := len(x), len(y)
	_, w := softDTW(x, y, gamma)
	e := make([][]float64, n)
	for i := range e {
		e[i] = make([]float64, m)
	}
	e[n-1][m-1] = 1
	dx, dy = make([]float64, n), make([]float64, m)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			g := e[i][j]
			if i > 0 && j > 0 {
				e[i-1][j-1] += g * w[i][j][0]
			}
			if i > 0 {
				e[i-1][j] += g * w[i][j][1]
			}
			if j > 0 {
				e[i][j-1] += g * w[i][j][2]
			}
			dd := 2 * (x[i] - y[j]) * g
			dx[i] += dd
			dy[j] -= dd
		}
	}
	return dx, dy
}
