package main

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"codeberg.org/sbinet/npyio"
)

// array is a .npy array read into memory, row-major whatever its order on
// disk.
type array struct {
	path  string
	dtype string // "float32", "float64" or "int64"
	shape []int
	f32   []float32
	f64   []float64
	i64   []int64
}

// inputError is a problem with an input file (exit code 4).
type inputError struct{ msg string }

func (e *inputError) Error() string { return e.msg }

func inputErrorf(format string, args ...any) error {
	return &inputError{fmt.Sprintf(format, args...)}
}

// maxNpyBytes bounds what is read into memory from one file.
const maxNpyBytes = 1 << 36

func loadNpy(path string) (*array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, inputErrorf("%s: cannot read: %v", path, unwrapPath(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, inputErrorf("%s: cannot read: %v", path, unwrapPath(err))
	}
	if st.IsDir() {
		return nil, inputErrorf("%s: is a directory, expected a .npy file", path)
	}
	if st.Size() > maxNpyBytes {
		return nil, inputErrorf("%s: too large (%d bytes)", path, st.Size())
	}
	raw, err := io.ReadAll(f)
	if err != nil {
		return nil, inputErrorf("%s: cannot read: %v", path, unwrapPath(err))
	}
	return parseNpy(path, raw)
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseNpy decodes a .npy file held in memory. The header is parsed by
// npyio; its parser assumes a well-formed file, so a panic there is a
// malformed file, and the data length is checked here, before any read.
func parseNpy(path string, raw []byte) (a *array, err error) {
	defer func() {
		if p := recover(); p != nil {
			a, err = nil, inputErrorf("%s: malformed .npy header", path)
		}
	}()
	if len(raw) < 10 || !bytes.HasPrefix(raw, npyio.Magic[:]) {
		return nil, inputErrorf("%s: not a .npy file (no \\x93NUMPY magic)", path)
	}
	// The header length is checked here: npyio would index past a short one.
	hdrEnd := 10 + (int(raw[8]) | int(raw[9])<<8)
	switch raw[6] {
	case 1:
	case 2, 3:
		if len(raw) < 12 {
			return nil, inputErrorf("%s: truncated .npy header", path)
		}
		hdrEnd = 12 + (int(raw[8]) | int(raw[9])<<8 | int(raw[10])<<16 | int(raw[11])<<24)
		// 3.0 is 2.0 with a UTF-8 header, which npyio does not know; the
		// headers of the dtypes read here are ASCII, the same in both.
		// raw is this function's own buffer (both callers read it for it).
		raw[6] = 2
	default:
		return nil, inputErrorf("%s: unsupported .npy format version %d.%d", path, raw[6], raw[7])
	}
	if hdrEnd > len(raw) {
		return nil, inputErrorf("%s: truncated .npy header (%d bytes, the header says %d)", path, len(raw), hdrEnd)
	}
	br := bytes.NewReader(raw)
	r, err := npyio.NewReader(br)
	if err != nil {
		return nil, inputErrorf("%s: malformed .npy header: %v", path, trimNpy(err))
	}
	h := r.Header.Descr
	a = &array{path: path, shape: h.Shape}
	n := 1
	for _, d := range h.Shape {
		if d < 0 {
			return nil, inputErrorf("%s: malformed .npy header: negative dimension in shape %v", path, h.Shape)
		}
		if d > 0 && n > maxNpyBytes/d {
			return nil, inputErrorf("%s: shape %v is too large", path, h.Shape)
		}
		n *= d
	}
	var size int
	typ := strings.Trim(h.Type, `'"`)
	switch typ {
	case "<f4", ">f4", "=f4", "|f4":
		a.dtype, size = "float32", 4
	case "<f8", ">f8", "=f8", "|f8":
		a.dtype, size = "float64", 8
	case "<i8", ">i8", "=i8", "|i8":
		a.dtype, size = "int64", 8
	default:
		return nil, inputErrorf("%s: dtype %s is not supported: expected float32 or float64 (int64 for ranges)", path, typ)
	}
	if rest := br.Len(); rest != n*size {
		return nil, inputErrorf("%s: truncated or malformed .npy file: shape %v needs %d data bytes, the file has %d",
			path, h.Shape, n*size, rest)
	}
	switch a.dtype {
	case "float32":
		a.f32 = make([]float32, n)
		err = r.Read(&a.f32)
	case "float64":
		a.f64 = make([]float64, n)
		err = r.Read(&a.f64)
	case "int64":
		a.i64 = make([]int64, n)
		err = r.Read(&a.i64)
	}
	if err != nil && n > 0 {
		return nil, inputErrorf("%s: cannot decode the data: %v", path, trimNpy(err))
	}
	if h.Fortran && len(h.Shape) > 1 {
		a.toRowMajor()
	}
	return a, nil
}

func trimNpy(err error) string { return strings.TrimPrefix(err.Error(), "npy: ") }

// toRowMajor reorders Fortran-order data (first index fastest) into C order.
func (a *array) toRowMajor() {
	switch {
	case a.f32 != nil:
		a.f32 = transpose(a.f32, a.shape)
	case a.f64 != nil:
		a.f64 = transpose(a.f64, a.shape)
	case a.i64 != nil:
		a.i64 = transpose(a.i64, a.shape)
	}
}

func transpose[T any](src []T, shape []int) []T {
	dst := make([]T, len(src))
	nd := len(shape)
	idx := make([]int, nd) // C-order multi-index of dst position
	for c := range dst {
		// Fortran offset of idx: the first index is the fastest.
		off, stride := 0, 1
		for t := 0; t < nd; t++ {
			off += idx[t] * stride
			stride *= shape[t]
		}
		dst[c] = src[off]
		for t := nd - 1; t >= 0; t-- {
			idx[t]++
			if idx[t] < shape[t] {
				break
			}
			idx[t] = 0
		}
	}
	return dst
}

// writeNpy writes a row-major (rows, dim) array. npyio writes the shape
// of nested slices, so the rows are sub-slices of data (nothing is copied).
func writeNpy[T float32 | float64 | int64](path string, data []T, rows, dim int) error {
	var buf bytes.Buffer
	var err error
	if rows == 0 {
		err = npyio.Write(&buf, data) // shape (0,): npyio cannot write (0, dim)
	} else {
		m := make([][]T, rows)
		for i := range m {
			m[i] = data[i*dim : (i+1)*dim]
		}
		err = npyio.Write(&buf, m)
	}
	if err != nil {
		return fmt.Errorf("%s: cannot encode: %v", path, trimNpy(err))
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("%s: cannot write: %v", path, unwrapPath(err))
	}
	return nil
}

// rangeNames are the six arrays of a ranges .npz, in pykeops' order.
var rangeNames = []string{"ranges_i", "slices_i", "redranges_j", "ranges_j", "slices_j", "redranges_i"}

// loadRanges reads the six int64 arrays of block-sparse ranges from a .npz
// file, saved by np.savez(path, ranges_i=..., ...) or by
// np.savez(path, *ranges) (arr_0 ... arr_5).
func loadRanges(path string) ([6][]int64, error) {
	var out [6][]int64
	z, err := zip.OpenReader(path)
	if err != nil {
		if _, serr := os.Stat(path); serr != nil {
			return out, inputErrorf("%s: cannot read: %v", path, unwrapPath(serr))
		}
		return out, inputErrorf("%s: not a .npz file (%v)", path, err)
	}
	defer z.Close()
	members := map[string]*zip.File{}
	for _, f := range z.File {
		members[strings.TrimSuffix(f.Name, ".npy")] = f
	}
	for k, name := range rangeNames {
		f := members[name]
		if f == nil {
			f = members[fmt.Sprintf("arr_%d", k)]
		}
		if f == nil {
			return out, inputErrorf("%s: no array %s (or arr_%d): expected the six arrays %s",
				path, name, k, strings.Join(rangeNames, ", "))
		}
		if f.UncompressedSize64 > maxNpyBytes {
			return out, inputErrorf("%s: %s is too large", path, f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			return out, inputErrorf("%s: %s: %v", path, f.Name, err)
		}
		raw, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return out, inputErrorf("%s: %s: %v", path, f.Name, err)
		}
		a, err := parseNpy(path+":"+name, raw)
		if err != nil {
			return out, err
		}
		if a.dtype != "int64" {
			return out, inputErrorf("%s:%s: dtype %s, expected int64", path, name, a.dtype)
		}
		pairs := name != "slices_i" && name != "slices_j"
		switch {
		case pairs && !(len(a.shape) == 2 && a.shape[1] == 2) && !(len(a.shape) == 1 && a.shape[0] == 0):
			return out, inputErrorf("%s:%s: shape %v, expected (n, 2)", path, name, a.shape)
		case !pairs && len(a.shape) != 1:
			return out, inputErrorf("%s:%s: shape %v, expected (n,)", path, name, a.shape)
		}
		out[k] = a.i64
	}
	return out, nil
}
