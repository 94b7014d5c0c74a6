package cudagen

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gokeops/gokeops/pkg/cudagen/nvrtc"
)

// Compiler compiles generated sources with NVRTC, once: results are kept in
// memory and on disk, keyed by a hash of the source, the options, the GPU
// architecture and the NVRTC version, so that a formula compiled by an
// earlier process loads without NVRTC's run.
type Compiler struct {
	Lib  *nvrtc.Lib
	Dir  string // the disk cache; "" keeps results in memory only
	mu   sync.Mutex
	mem  map[string]*Image
	Runs int // compilations NVRTC actually ran (for tests and statistics)
}

// Image is a compiled source: a CUBIN for the architecture when NVRTC
// produced one, else PTX for the driver to JIT.
type Image struct {
	Key   string
	CUBIN []byte
	PTX   []byte
}

// Data is what cuModuleLoadData takes: the CUBIN, else the PTX (with its
// terminating NUL).
func (im *Image) Data() []byte {
	if len(im.CUBIN) > 0 {
		return im.CUBIN
	}
	return append(append([]byte{}, im.PTX...), 0)
}

// CacheDir is the folder of compiled kernels under a build folder (that of
// pykeops.get_build_folder()).
func CacheDir(buildFolder string) string { return filepath.Join(buildFolder, "cuda") }

// DefaultBuildFolder is pykeops_go's default: $XDG_CACHE_HOME/pykeops_go
// (~/.cache/pykeops_go), or GOKEOPS_BUILD_FOLDER when set.
func DefaultBuildFolder() string {
	if d := os.Getenv("GOKEOPS_BUILD_FOLDER"); d != "" {
		return d
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "pykeops_go")
}

// NewCompiler uses lib and the disk cache dir.
func NewCompiler(lib *nvrtc.Lib, dir string) *Compiler {
	return &Compiler{Lib: lib, Dir: dir, mem: map[string]*Image{}}
}

// Key is the cache key of src compiled for arch (e.g. "sm_90").
func (c *Compiler) Key(src *Source, arch string) string {
	h := sha256.New()
	fmt.Fprintf(h, "nvrtc %s\x00arch %s\x00opts %s\x00", c.Lib.Version(), arch, strings.Join(src.Options, " "))
	h.Write([]byte(src.Code))
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Compile returns the image of src for arch ("sm_90": a CUBIN; "compute_90":
// PTX only).
func (c *Compiler) Compile(src *Source, arch string) (*Image, error) {
	key := c.Key(src, arch)
	c.mu.Lock()
	defer c.mu.Unlock()
	if im, ok := c.mem[key]; ok {
		return im, nil
	}
	if im := c.load(key); im != nil {
		c.mem[key] = im
		return im, nil
	}
	opts := append([]string{"--gpu-architecture=" + arch}, src.Options...)
	out, err := c.Lib.Compile(src.Code, "gokeops_"+key+".cu", opts)
	if err != nil {
		return nil, err
	}
	c.Runs++
	im := &Image{Key: key, CUBIN: out.CUBIN, PTX: out.PTX}
	c.mem[key] = im
	c.save(im)
	return im, nil
}

// SetDir moves the disk cache to dir ("" keeps results in memory only),
// e.g. after pykeops.set_build_folder; what is in memory stays.
func (c *Compiler) SetDir(dir string) {
	c.mu.Lock()
	c.Dir = dir
	c.mu.Unlock()
}

// Compilations is the number of NVRTC runs so far.
func (c *Compiler) Compilations() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Runs
}

func (c *Compiler) path(key, ext string) string { return filepath.Join(c.Dir, key+ext) }

// load reads a cached image; a missing or unreadable file is a miss.
func (c *Compiler) load(key string) *Image {
	if c.Dir == "" {
		return nil
	}
	if b, err := os.ReadFile(c.path(key, ".cubin")); err == nil && len(b) > 0 {
		return &Image{Key: key, CUBIN: b}
	}
	if b, err := os.ReadFile(c.path(key, ".ptx")); err == nil && len(b) > 0 {
		return &Image{Key: key, PTX: b}
	}
	return nil
}

// save writes the image atomically (a temporary file renamed), so that
// concurrent processes never read half a file. Failing to write only
// costs a later compilation.
func (c *Compiler) save(im *Image) {
	if c.Dir == "" || os.MkdirAll(c.Dir, 0o755) != nil {
		return
	}
	data, ext := im.CUBIN, ".cubin"
	if len(data) == 0 {
		data, ext = im.PTX, ".ptx"
	}
	f, err := os.CreateTemp(c.Dir, im.Key+".*.tmp")
	if err != nil {
		return
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr != nil || cerr != nil || os.Rename(f.Name(), c.path(im.Key, ext)) != nil {
		os.Remove(f.Name())
	}
}

// Clean removes the disk cache (pykeops.clean_pykeops).
func Clean(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, ".cubin") || strings.HasSuffix(n, ".ptx") || strings.HasSuffix(n, ".tmp") {
			if err := os.Remove(filepath.Join(dir, n)); err != nil {
				return err
			}
		}
	}
	return nil
}
