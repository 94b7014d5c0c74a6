package core

// float is the element type of the data: the engine runs in float32 or float64.
type float interface{ ~float32 | ~float64 }

// vec is a value of an instruction slot: dim components, each a run of width
// values (1 for per-row or per-call values, the tile length for per-tile and
// per-pair values), component k starting at k*stride.
type vec[T float] struct {
	data   []T
	stride int
	width  int
}

// col is component k.
func (v vec[T]) col(k int) []T { return v.data[k*v.stride : k*v.stride+v.width] }

// at is component k of value t, broadcasting width-1 values over t.
func (v vec[T]) at(k, t int) T {
	if v.width == 1 {
		return v.data[k*v.stride]
	}
	return v.data[k*v.stride+t]
}

// isFloat64 reports whether T is float64.
func isFloat64[T float]() bool {
	var z T
	_, ok := any(z).(float64)
	return ok
}
