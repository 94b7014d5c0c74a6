package gokeops

import (
	"container/list"
	"sync"

	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/errkind"
)

// RegistrySize is how many kernels that nobody holds the registry keeps, the
// least recently released dropped first. Held kernels are never dropped: a
// program's memory is bounded by the kernels it holds (a Genred, a reduced
// LazyTensor or a KernelSolve each hold one) plus RegistrySize. A released
// kernel costs a few kilobytes; keeping the last ones spares recompiling
// formulas rebuilt in a loop (a LazyTensor expression evaluated again).
const RegistrySize = 1024

// kernelEntry is one compiled kernel of the registry.
type kernelEntry struct {
	handle int64
	key    string
	kernel *core.Kernel
	holds  int           // Compile calls not yet released
	idle   *list.Element // its place in registry.idle while holds == 0
}

// registry owns the compiled kernels: it maps handles to kernels, and
// compile keys to handles so that compiling the same reduction twice gives
// the same kernel. Kernels nobody holds sit in idle, most recently released
// first, at most RegistrySize of them.
type registry struct {
	mu       sync.Mutex
	byHandle map[int64]*kernelEntry
	byKey    map[string]*kernelEntry
	idle     list.List // of *kernelEntry
	next     int64
}

var kernels = &registry{byHandle: map[int64]*kernelEntry{}, byKey: map[string]*kernelEntry{}}

// hold takes a hold on the kernel compiled for key, if there is one.
func (r *registry) hold(key string) (int64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.byKey[key]
	if !ok {
		return 0, false
	}
	r.take(e)
	return e.handle, true
}

func (r *registry) take(e *kernelEntry) {
	if e.holds == 0 && e.idle != nil {
		r.idle.Remove(e.idle)
		e.idle = nil
	}
	e.holds++
}

// add enters a newly compiled kernel, held once, and gives its handle. When
// another call compiled the same key meanwhile, that kernel is held instead.
func (r *registry) add(key string, k *core.Kernel) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.byKey[key]; ok {
		r.take(e)
		return e.handle
	}
	r.next++
	e := &kernelEntry{handle: r.next, key: key, kernel: k, holds: 1}
	r.byHandle[e.handle] = e
	r.byKey[key] = e
	return e.handle
}

// release gives back one hold on h; a kernel left without holds becomes the
// most recently released one, and the least recent beyond RegistrySize is
// dropped.
func (r *registry) release(h int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.byHandle[h]
	if !ok {
		return errkind.Errorf(errkind.BadValue, "unknown kernel handle %d", h)
	}
	if e.holds == 0 {
		return errkind.Errorf(errkind.BadValue, "kernel handle %d is not held (released more often than compiled)", h)
	}
	e.holds--
	if e.holds > 0 {
		return nil
	}
	e.idle = r.idle.PushFront(e)
	for r.idle.Len() > RegistrySize {
		old := r.idle.Remove(r.idle.Back()).(*kernelEntry)
		delete(r.byHandle, old.handle)
		delete(r.byKey, old.key)
	}
	return nil
}

// lookup is the kernel of handle h.
func (r *registry) lookup(h int64) (*core.Kernel, error) {
	r.mu.Lock()
	e, ok := r.byHandle[h]
	r.mu.Unlock()
	if !ok {
		return nil, errkind.Errorf(errkind.BadValue, "unknown kernel handle %d", h)
	}
	return e.kernel, nil
}

func (r *registry) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byHandle)
}
