// Package nvrtc loads an NVRTC library at run time (dlopen) and compiles
// CUDA C++ to PTX or CUBIN with it. Nothing links against NVRTC, so a
// binary that imports this package runs on machines without one; NVRTC
// itself needs no GPU and no driver.
package nvrtc

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <stddef.h>

typedef int (*gk_version_fn)(int*, int*);
typedef int (*gk_create_fn)(void**, const char*, const char*, int, const char* const*, const char* const*);
typedef int (*gk_destroy_fn)(void**);
typedef int (*gk_compile_fn)(void*, int, const char* const*);
typedef int (*gk_size_fn)(void*, size_t*);
typedef int (*gk_get_fn)(void*, char*);
typedef const char* (*gk_errstr_fn)(int);

typedef struct {
	void* h;
	gk_version_fn version;
	gk_create_fn create;
	gk_destroy_fn destroy;
	gk_compile_fn compile;
	gk_size_fn ptx_size, log_size, cubin_size;
	gk_get_fn ptx, log, cubin;
	gk_errstr_fn errstr;
} gk_nvrtc;

static const char* gk_open(const char* path, gk_nvrtc* n) {
	n->h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!n->h) return dlerror();
#define GK_SYM(field, type, name) n->field = (type)dlsym(n->h, name); if (!n->field) return "missing symbol " name;
	GK_SYM(version, gk_version_fn, "nvrtcVersion")
	GK_SYM(create, gk_create_fn, "nvrtcCreateProgram")
	GK_SYM(destroy, gk_destroy_fn, "nvrtcDestroyProgram")
	GK_SYM(compile, gk_compile_fn, "nvrtcCompileProgram")
	GK_SYM(ptx_size, gk_size_fn, "nvrtcGetPTXSize")
	GK_SYM(ptx, gk_get_fn, "nvrtcGetPTX")
	GK_SYM(log_size, gk_size_fn, "nvrtcGetProgramLogSize")
	GK_SYM(log, gk_get_fn, "nvrtcGetProgramLog")
	GK_SYM(cubin_size, gk_size_fn, "nvrtcGetCUBINSize")
	GK_SYM(cubin, gk_get_fn, "nvrtcGetCUBIN")
	GK_SYM(errstr, gk_errstr_fn, "nvrtcGetErrorString")
#undef GK_SYM
	return NULL;
}

static int gk_version(gk_nvrtc* n, int* major, int* minor) { return n->version(major, minor); }
static const char* gk_errstr(gk_nvrtc* n, int r) { return n->errstr(r); }

// gk_compile compiles src; on return *prog must be destroyed by the caller.
static int gk_compile(gk_nvrtc* n, void** prog, const char* src, const char* name, int nopt, const char* const* opts) {
	int r = n->create(prog, src, name, 0, NULL, NULL);
	if (r) return r;
	return n->compile(*prog, nopt, opts);
}

static int gk_output(gk_nvrtc* n, void* prog, int which, char** out, size_t* size) {
	gk_size_fn sz = which == 0 ? n->ptx_size : (which == 1 ? n->cubin_size : n->log_size);
	gk_get_fn get = which == 0 ? n->ptx : (which == 1 ? n->cubin : n->log);
	int r = sz(prog, size);
	if (r) return r;
	*out = (char*)malloc(*size + 1);
	if (!*out) return -1;
	return get(prog, *out);
}

static void gk_destroy(gk_nvrtc* n, void** prog) { n->destroy(prog); }
*/
import "C"

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"unsafe"
)

// Lib is a loaded NVRTC library.
type Lib struct {
	Path         string
	Major, Minor int
	fns          *C.gk_nvrtc
}

var (
	openMu sync.Mutex
	opened = map[string]*Lib{}
)

// Open loads the NVRTC library at path (once per path).
func Open(path string) (*Lib, error) {
	openMu.Lock()
	defer openMu.Unlock()
	if l, ok := opened[path]; ok {
		return l, nil
	}
	fns := (*C.gk_nvrtc)(C.calloc(1, C.sizeof_gk_nvrtc))
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	if msg := C.gk_open(cpath, fns); msg != nil {
		err := fmt.Errorf("nvrtc: cannot load %s: %s", path, C.GoString(msg))
		if fns.h != nil {
			C.dlclose(fns.h)
		}
		C.free(unsafe.Pointer(fns))
		return nil, err
	}
	var major, minor C.int
	if r := C.gk_version(fns, &major, &minor); r != 0 {
		return nil, fmt.Errorf("nvrtc: %s: nvrtcVersion failed (%d)", path, int(r))
	}
	l := &Lib{Path: path, Major: int(major), Minor: int(minor), fns: fns}
	opened[path] = l
	return l, nil
}

// Version is "major.minor", as the cache keys use it.
func (l *Lib) Version() string { return fmt.Sprintf("%d.%d", l.Major, l.Minor) }

// CompileError is a compilation that NVRTC rejected, with its log.
type CompileError struct {
	Result string
	Log    string
}

func (e *CompileError) Error() string { return "nvrtc: compilation failed: " + e.Result + "\n" + e.Log }

// Output is what a compilation produced.
type Output struct {
	PTX   []byte // always
	CUBIN []byte // when the architecture was a real one (sm_XX)
	Log   string // warnings
}

// Compile compiles src (named name in messages) with the given options,
// e.g. "--gpu-architecture=sm_90".
func (l *Lib) Compile(src, name string, options []string) (*Output, error) {
	csrc, cname := C.CString(src), C.CString(name)
	defer C.free(unsafe.Pointer(csrc))
	defer C.free(unsafe.Pointer(cname))
	copts := make([]*C.char, len(options)+1)
	for k, o := range options {
		copts[k] = C.CString(o)
	}
	defer func() {
		for _, p := range copts {
			C.free(unsafe.Pointer(p))
		}
	}()
	optsC := (**C.char)(C.malloc(C.size_t(len(copts)) * C.size_t(unsafe.Sizeof(copts[0]))))
	defer C.free(unsafe.Pointer(optsC))
	copy(unsafe.Slice(optsC, len(copts)), copts)
	var prog unsafe.Pointer
	r := C.gk_compile(l.fns, &prog, csrc, cname, C.int(len(options)), optsC)
	if prog != nil {
		defer C.gk_destroy(l.fns, &prog)
	}
	log := l.output(prog, 2)
	if r != 0 {
		return nil, &CompileError{Result: C.GoString(C.gk_errstr(l.fns, r)), Log: string(log)}
	}
	out := &Output{PTX: l.output(prog, 0), Log: string(trimNul(log))}
	if cubin := l.output(prog, 1); len(cubin) > 0 {
		out.CUBIN = cubin
	}
	out.PTX = trimNul(out.PTX)
	return out, nil
}

func (l *Lib) output(prog unsafe.Pointer, which int) []byte {
	if prog == nil {
		return nil
	}
	var buf *C.char
	var size C.size_t
	r := C.gk_output(l.fns, prog, C.int(which), &buf, &size)
	if buf != nil {
		defer C.free(unsafe.Pointer(buf))
	}
	if r != 0 || size == 0 {
		return nil
	}
	return C.GoBytes(unsafe.Pointer(buf), C.int(size))
}

func trimNul(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

// Candidate is an NVRTC library found on disk.
type Candidate struct {
	Path  string
	Major int // from the file name (libnvrtc.so.MAJOR)
}

var soMajor = regexp.MustCompile(`libnvrtc\.so\.(\d+)`)

// Candidates lists the NVRTC libraries under the given Python
// site-packages folders (torch's nvidia wheels first, as the caller orders
// them: nvidia/cu13/lib, nvidia/cuda_nvrtc/lib, ...) and then under
// /usr/local/cuda*, newest major version first, the given order among
// equals. Libraries of a major version above maxMajor (what the driver
// can load; 0: no limit) are left out.
func Candidates(sitePackages []string, maxMajor int) []Candidate {
	var globs []string
	for _, sp := range sitePackages {
		globs = append(globs,
			filepath.Join(sp, "nvidia", "cu*", "lib", "libnvrtc.so.*"),
			filepath.Join(sp, "nvidia", "cuda_nvrtc", "lib", "libnvrtc.so.*"))
	}
	globs = append(globs,
		"/usr/local/cuda/lib64/libnvrtc.so.*",
		"/usr/local/cuda-*/lib64/libnvrtc.so.*",
		"/usr/local/cuda/targets/*/lib/libnvrtc.so.*")
	seen := map[string]bool{}
	var out []Candidate
	for _, g := range globs {
		matches, _ := filepath.Glob(g)
		sort.Strings(matches)
		for _, m := range matches {
			sm := soMajor.FindStringSubmatch(filepath.Base(m))
			if sm == nil || filepath.Base(m) != "libnvrtc.so."+sm[1] {
				continue // libnvrtc.so.12.9.86, libnvrtc.alt.so.12, ...: the soname link is enough
			}
			real, err := filepath.EvalSymlinks(m)
			if err != nil || seen[real] {
				continue
			}
			seen[real] = true
			major, _ := strconv.Atoi(sm[1])
			if maxMajor > 0 && major > maxMajor {
				continue
			}
			out = append(out, Candidate{Path: m, Major: major})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Major > out[b].Major })
	return out
}

// Find opens the library named by GOKEOPS_NVRTC when set, else the first
// candidate that loads.
func Find(sitePackages []string, maxMajor int) (*Lib, error) {
	if p := os.Getenv("GOKEOPS_NVRTC"); p != "" {
		return Open(p)
	}
	var errs []string
	for _, c := range Candidates(sitePackages, maxMajor) {
		l, err := Open(c.Path)
		if err == nil {
			return l, nil
		}
		errs = append(errs, err.Error())
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("nvrtc: no NVRTC library found (pip install nvidia-cuda-nvrtc-cu12, or a CUDA toolkit under /usr/local/cuda)")
	}
	return nil, fmt.Errorf("nvrtc: no NVRTC library could be loaded: %v", errs)
}
