//go:build cuda

package cudagen

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"gorgonia.org/cu"

	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/cudagen/nvrtc"
	"github.com/gokeops/gokeops/pkg/errkind"
)

// This file is the launcher: it loads the compiled kernels into the
// device's primary context (the one torch uses), copies the small launch
// tables and runs the kernels. gorgonia.org/cu calls cuInit when the
// program starts and exits if it fails, so only the cuda-tagged build,
// loaded after a check that a driver and a device exist, links it.

// Device is one GPU with its primary context and loaded modules.
type Device struct {
	ID       int
	Name     string
	Arch     string // sm_XY
	compiler *Compiler
	dev      cu.Device
	ctx      cu.CUContext
	mu       sync.Mutex
	modules  map[string]*loaded
	sources  map[sourceKey]*Source
	ready    map[sourceKey]*loaded // the module of each source, once loaded
	poolMu   sync.Mutex
	pool     map[int64][]cu.DevicePtr // free device buffers by size class
}

// alloc takes a device buffer of at least n bytes from the pool (a power
// of two, at least 256 bytes): cuMemAlloc and cuMemFree cost tens of
// microseconds and cuMemFree synchronizes the device.
func (d *Device) alloc(n int64) (cu.DevicePtr, int64, error) {
	size := int64(256)
	for size < n {
		size *= 2
	}
	d.poolMu.Lock()
	if free := d.pool[size]; len(free) > 0 {
		p := free[len(free)-1]
		d.pool[size] = free[:len(free)-1]
		d.poolMu.Unlock()
		return p, size, nil
	}
	d.poolMu.Unlock()
	p, err := cu.MemAlloc(size)
	return p, size, err
}

// release returns a buffer of alloc to the pool; the calls that used it
// have completed.
func (d *Device) release(p cu.DevicePtr, size int64) {
	d.poolMu.Lock()
	d.pool[size] = append(d.pool[size], p)
	d.poolMu.Unlock()
}

// buffers are the temporary buffers of one call.
type buffers struct {
	d   *Device
	ps  []cu.DevicePtr
	szs []int64
}

func (b *buffers) alloc(n int64) (cu.DevicePtr, error) {
	p, size, err := b.d.alloc(n)
	if err != nil {
		return 0, err
	}
	b.ps, b.szs = append(b.ps, p), append(b.szs, size)
	return p, nil
}

func (b *buffers) release() {
	for k, p := range b.ps {
		b.d.release(p, b.szs[k])
	}
}

// upload copies v into a temporary buffer.
func upload[T any](b *buffers, v []T) (cu.DevicePtr, error) {
	n := int64(len(v)) * int64(unsafe.Sizeof(*new(T)))
	p, err := b.alloc(n)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		if err := cu.MemcpyHtoD(p, unsafe.Pointer(&v[0]), n); err != nil {
			return 0, err
		}
	}
	return p, nil
}

type sourceKey struct {
	k   *core.Kernel
	opt Options
}

type loaded struct {
	mod cu.Module
	fns []cu.Function
}

// DriverVersion is the CUDA version of the driver (e.g. 13000).
func DriverVersion() int { return cu.Version() }

// DeviceCount is the number of CUDA devices.
func DeviceCount() (int, error) { return cu.NumDevices() }

// OpenDevice retains the primary context of device id. sitePackages are
// where to look for NVRTC first (see nvrtc.Candidates); cacheDir is the
// disk cache ("" for none).
func OpenDevice(id int, sitePackages []string, cacheDir string) (*Device, error) {
	n, err := cu.NumDevices()
	if err != nil {
		return nil, fmt.Errorf("cudagen: counting devices: %v", err)
	}
	if id < 0 || id >= n {
		return nil, errkind.Errorf(errkind.BadValue, "device_id %d: expected 0 <= device_id < %d", id, n)
	}
	lib, err := nvrtc.Find(sitePackages, cu.Version()/1000)
	if err != nil {
		return nil, err
	}
	dev, err := cu.GetDevice(id)
	if err != nil {
		return nil, err
	}
	ctx, err := dev.RetainPrimaryCtx()
	if err != nil {
		return nil, fmt.Errorf("cudagen: device %d: retaining the primary context: %v", id, err)
	}
	major, minor, err := dev.ComputeCapability()
	if err != nil {
		return nil, err
	}
	name, _ := dev.Name()
	return &Device{ID: id, Name: name, Arch: fmt.Sprintf("sm_%d%d", major, minor), compiler: NewCompiler(lib, cacheDir),
		dev: dev, ctx: ctx, modules: map[string]*loaded{}, sources: map[sourceKey]*Source{}, ready: map[sourceKey]*loaded{},
		pool: map[int64][]cu.DevicePtr{}}, nil
}

// Compiler is the device's NVRTC compiler and cache.
func (d *Device) Compiler() *Compiler { return d.compiler }

// Close frees the pooled buffers and releases the primary context.
func (d *Device) Close() error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if d.bind() == nil {
		for _, free := range d.pool {
			for _, p := range free {
				cu.MemFree(p)
			}
		}
	}
	d.pool = map[int64][]cu.DevicePtr{}
	return d.dev.ReleasePrimaryCtx()
}

// bind makes the primary context current on this OS thread; the caller
// holds runtime.LockOSThread.
func (d *Device) bind() error { return cu.SetCurrentContext(d.ctx) }

// Prepare generates, compiles and loads the kernels of k for opt (once).
func (d *Device) Prepare(k *core.Kernel, opt Options) (*Source, *loaded, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	sk := sourceKey{k, opt}
	if r, ok := d.ready[sk]; ok { // a cached call: no hash of the source
		return d.sources[sk], r, nil
	}
	src, ok := d.sources[sk]
	if !ok {
		var err error
		if src, err = GenerateKernel(k, opt); err != nil {
			return nil, nil, err
		}
		d.sources[sk] = src
	}
	key := d.compiler.Key(src, d.Arch)
	if l, ok := d.modules[key]; ok {
		d.ready[sk] = l
		return src, l, nil
	}
	im, err := d.compiler.Compile(src, d.Arch)
	if err != nil {
		return nil, nil, err
	}
	mod, err := cu.LoadData(string(im.Data()))
	if err != nil {
		return nil, nil, fmt.Errorf("cudagen: loading the module: %v", err)
	}
	l := &loaded{mod: mod}
	for _, name := range src.Kernels {
		fn, err := mod.Function(name)
		if err != nil {
			return nil, nil, fmt.Errorf("cudagen: kernel %s: %v", name, err)
		}
		l.fns = append(l.fns, fn)
	}
	d.modules[key] = l
	d.ready[sk] = l
	return src, l, nil
}

// streamOf wraps a raw CUstream handle: cu.Stream holds just the handle,
// and the package has no constructor taking one.
func streamOf(h uintptr) cu.Stream {
	var s cu.Stream
	if unsafe.Sizeof(s) != unsafe.Sizeof(h) {
		panic("cudagen: cu.Stream is not a bare handle")
	}
	*(*uintptr)(unsafe.Pointer(&s)) = h
	return s
}

// Launch runs the reduction of k on device data, on c.Stream (0: the
// default stream), and waits for it. opt.Scheme is the scheme
// (block-sparse calls use 1D).
func (d *Device) Launch(k *core.Kernel, opt Options, c *DeviceCall) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := d.bind(); err != nil {
		return err
	}
	if c.Ranges != nil {
		opt.Ranges, opt.Scheme = true, Scheme1D
	}
	src, l, err := d.Prepare(k, opt)
	if err != nil {
		return err
	}
	p := src.Plan
	nx, ny := c.M, c.N
	if p.Axis == 0 {
		nx, ny = c.N, c.M
	}
	nbatch := 1
	for _, b := range c.Batch {
		nbatch *= b
	}
	bufs := &buffers{d: d}
	defer bufs.release()
	stream := streamOf(c.Stream)
	wait := func() error {
		if c.Stream == 0 {
			return cu.Synchronize()
		}
		return stream.Synchronize()
	}
	argv := make([]uint64, len(c.Args))
	for a, ptr := range c.Args {
		argv[a] = uint64(ptr)
	}
	dArgv, err := upload(bufs, argv)
	if err != nil {
		return err
	}
	i64 := func(v int) *int64 { x := int64(v); return &x }
	ptr := func(v cu.DevicePtr) *uint64 { x := uint64(v); return &x }
	raw := func(v uintptr) *uint64 { x := uint64(v); return &x }
	params := func(vs ...any) []unsafe.Pointer {
		ps := make([]unsafe.Pointer, len(vs))
		for q, v := range vs {
			switch v := v.(type) {
			case *int64:
				ps[q] = unsafe.Pointer(v)
			case *uint64:
				ps[q] = unsafe.Pointer(v)
			}
		}
		return ps
	}
	block := src.BlockSize
	blocks := func(n int) int { return max(1, (n+block-1)/block) }
	if nx == 0 {
		return nil
	}
	if opt.Ranges {
		rg := c.Ranges
		ranges, slices, red := rg.RangesI, rg.SlicesI, rg.RedRangesJ
		if p.Axis == 0 {
			ranges, slices, red = rg.RangesJ, rg.SlicesJ, rg.RedRangesI
		}
		items, nitems := RangeItems(nx, ranges, slices, red, block)
		dItems, err := upload(bufs, items)
		if err != nil {
			return err
		}
		if err := l.fns[0].Launch(nitems, 1, 1, block, 1, 1, 0, stream,
			params(i64(nx), i64(ny), i64(nitems), ptr(dItems), ptr(dArgv), raw(c.Vals), raw(c.Idx))); err != nil {
			return err
		}
		return wait()
	}
	argB := c.ArgBatch
	if argB == nil {
		argB = make([][]int, len(c.Args))
	}
	dOffs, err := upload(bufs, ArgOffsets(k.Sig, c.Batch, argB, c.M, c.N))
	if err != nil {
		return err
	}
	if opt.Scheme == Scheme1D {
		if err := l.fns[0].Launch(blocks(nx), nbatch, 1, block, 1, 1, 0, stream,
			params(i64(nx), i64(ny), ptr(dOffs), ptr(dArgv), raw(c.Vals), raw(c.Idx))); err != nil {
			return err
		}
		return wait()
	}
	g := NewGeometry(Scheme2D, block, nx, ny, nbatch)
	dPart, err := bufs.alloc(int64(nbatch*g.NBY*nx*src.PartLen) * 8)
	if err != nil {
		return err
	}
	if g.NBY > 0 {
		if err := l.fns[0].Launch(blocks(nx), g.NBY, nbatch, block, 1, 1, 0, stream,
			params(i64(nx), i64(ny), i64(g.JChunk), ptr(dOffs), ptr(dArgv), ptr(dPart))); err != nil {
			return err
		}
	}
	if err := l.fns[1].Launch(blocks(nx), nbatch, 1, block, 1, 1, 0, stream,
		params(i64(nx), i64(g.NBY), ptr(dPart), raw(c.Vals), raw(c.Idx))); err != nil {
		return err
	}
	return wait()
}

// HostCall is a reduction on host data: each argument and output as raw
// bytes of the data type (float16 as IEEE half bits), laid out as in
// core.Call.
type HostCall struct {
	Args     [][]byte
	ArgBatch [][]int
	Batch    []int
	M, N     int
	Ranges   *core.Ranges
	Vals     []byte
	Idx      []int64
}

// packedArgs is the total size up to which RunHost copies the arguments
// to the device in one transfer.
const packedArgs = 1 << 20

// RunHost copies the arguments to the device, runs the reduction and
// copies the outputs back.
func (d *Device) RunHost(k *core.Kernel, opt Options, c *HostCall) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := d.bind(); err != nil {
		return err
	}
	dc := &DeviceCall{ArgBatch: c.ArgBatch, Batch: c.Batch, M: c.M, N: c.N, Ranges: c.Ranges}
	bufs := &buffers{d: d}
	defer bufs.release()
	// Small arguments go in one copy (a copy from pageable memory costs
	// microseconds whatever its size), each at a 256-byte boundary.
	total := 0
	for _, a := range c.Args {
		total += (len(a) + 255) &^ 255
	}
	if total <= packedArgs {
		packed := make([]byte, total)
		offs := make([]int, len(c.Args))
		o := 0
		for q, a := range c.Args {
			offs[q] = o
			copy(packed[o:], a)
			o += (len(a) + 255) &^ 255
		}
		p, err := upload(bufs, packed)
		if err != nil {
			return err
		}
		for _, o := range offs {
			dc.Args = append(dc.Args, uintptr(p)+uintptr(o))
		}
	} else {
		for _, a := range c.Args {
			p, err := upload(bufs, a)
			if err != nil {
				return err
			}
			dc.Args = append(dc.Args, uintptr(p))
		}
	}
	vals, err := bufs.alloc(int64(len(c.Vals)))
	if err != nil {
		return err
	}
	idx, err := bufs.alloc(int64(8 * len(c.Idx)))
	if err != nil {
		return err
	}
	dc.Vals, dc.Idx = uintptr(vals), uintptr(idx)
	if err := d.Launch(k, opt, dc); err != nil {
		return err
	}
	if len(c.Vals) > 0 {
		if err := cu.MemcpyDtoH(unsafe.Pointer(&c.Vals[0]), vals, int64(len(c.Vals))); err != nil {
			return err
		}
	}
	if len(c.Idx) > 0 {
		if err := cu.MemcpyDtoH(unsafe.Pointer(&c.Idx[0]), idx, int64(8*len(c.Idx))); err != nil {
			return err
		}
	}
	return nil
}
