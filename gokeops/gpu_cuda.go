//go:build cuda

package gokeops

import (
	"encoding/json"
	"sync"

	"github.com/gokeops/gokeops/pkg/core"
	"github.com/gokeops/gokeops/pkg/cudagen"
)

// The cuda-tagged build (pykeops_go._ext_cuda). Importing it runs cuInit
// (gorgonia.org/cu's package init), which ends the process without a
// driver: Python imports it only after its ctypes check of the driver.

const cudaBuild = true

// gpus holds the devices opened so far (each retains its primary context
// for the life of the process) and the configuration of new ones.
var gpus = struct {
	sync.Mutex
	sites    []string
	cacheDir string
	devices  map[int]*cudagen.Device
}{cacheDir: cudagen.CacheDir(cudagen.DefaultBuildFolder()), devices: map[int]*cudagen.Device{}}

func gpuConfigure(sites []string, dir string) {
	gpus.Lock()
	defer gpus.Unlock()
	gpus.sites, gpus.cacheDir = sites, dir
	for _, d := range gpus.devices {
		d.Compiler().SetDir(dir)
	}
}

func openDevice(id int) (*cudagen.Device, error) {
	gpus.Lock()
	defer gpus.Unlock()
	if d, ok := gpus.devices[id]; ok {
		return d, nil
	}
	d, err := cudagen.OpenDevice(id, gpus.sites, gpus.cacheDir)
	if err != nil {
		return nil, err
	}
	gpus.devices[id] = d
	return d, nil
}

func gpuStats() string {
	gpus.Lock()
	defer gpus.Unlock()
	type dev struct {
		ID        int    `json:"id"`
		Name      string `json:"name"`
		Arch      string `json:"arch"`
		NVRTC     string `json:"nvrtc"`
		NVRTCPath string `json:"nvrtc_path"`
		NVRTCRuns int    `json:"nvrtc_runs"`
		CacheDir  string `json:"cache_dir"`
	}
	out := struct {
		CUDA    bool  `json:"cuda"`
		Driver  int   `json:"driver"`
		Devices []dev `json:"devices"`
		Runs    int   `json:"nvrtc_runs"`
	}{CUDA: true, Driver: cudagen.DriverVersion(), Devices: []dev{}}
	for _, d := range gpus.devices {
		c := d.Compiler()
		runs := c.Compilations()
		out.Devices = append(out.Devices, dev{d.ID, d.Name, d.Arch, c.Lib.Version(), c.Lib.Path, runs, c.Dir})
		out.Runs += runs
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func gpuLaunch(k *core.Kernel, r *gpuRequest) error {
	d, err := openDevice(r.device)
	if err != nil {
		return err
	}
	l := r.l
	nbatch := 1
	for _, b := range l.batch {
		nbatch *= b
	}
	nx, ny := l.m, l.n
	if k.Axis() == 0 {
		nx, ny = l.n, l.m
	}
	opt := cudagen.Options{Dtype: r.dtype, UseFastMath: r.fastMath}
	switch r.scheme {
	case Scheme1D:
		opt.Scheme = cudagen.Scheme1D
	case Scheme2D:
		opt.Scheme = cudagen.Scheme2D
	default:
		opt.Scheme = cudagen.ChooseScheme(nx, ny, nbatch)
	}
	if r.onDevice {
		c := &cudagen.DeviceCall{ArgBatch: l.argBatch, Batch: l.batch, M: l.m, N: l.n, Ranges: r.ranges,
			Vals: l.vals.addr, Idx: l.idx.addr, Stream: r.stream}
		for _, b := range l.args {
			c.Args = append(c.Args, b.addr)
		}
		return d.Launch(k, opt, c)
	}
	size := r.dtype.Size()
	c := &cudagen.HostCall{ArgBatch: l.argBatch, Batch: l.batch, M: l.m, N: l.n, Ranges: r.ranges}
	for _, b := range l.args {
		v, err := hostBytes(b, size)
		if err != nil {
			return err
		}
		c.Args = append(c.Args, v)
	}
	if c.Vals, err = hostBytes(l.vals, size); err != nil {
		return err
	}
	if c.Idx, err = view[int64](l.idx.addr, l.idx.n); err != nil {
		return err
	}
	return d.RunHost(k, opt, c)
}
