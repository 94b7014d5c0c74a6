// The emulation driver: reads case records from stdin, runs the generated
// kernels under cuda_emu.h, writes the outputs to stdout (see emu_test.go
// for the record layout).
#pragma once
#include <cstdio>
#include <cstdlib>

static long long gk_rd() {
  long long v;
  if (fread(&v, 8, 1, stdin) != 1) exit(0);
  return v;
}
static std::vector<long long> gk_rdv() {
  std::vector<long long> v(gk_rd());
  if (!v.empty() && fread(v.data(), 8, v.size(), stdin) != v.size()) exit(2);
  return v;
}
static std::vector<double> gk_rdf() {
  std::vector<double> v(gk_rd());
  if (!v.empty() && fread(v.data(), 8, v.size(), stdin) != v.size()) exit(2);
  return v;
}
static void gk_wr(const void* p, size_t n) { fwrite(p, 1, n, stdout); }

inline void gk_to(double v, float* d) { *d = (float)v; }
inline void gk_to(double v, double* d) { *d = v; }
inline void gk_to(double v, unsigned short* d) { *d = gk_f2h((float)v); }
inline double gk_from(float v) { return v; }
inline double gk_from(double v) { return v; }
inline double gk_from(unsigned short v) { return gk_h2f(v); }

// gk_record is one call: what the Go side computed for the launch.
struct gk_record {
  long long kind, nx, ny, nbatch, block, jchunk, nby, nitems;
  std::vector<long long> offs, items;
  long long nvals, nidx;
};

template <typename D>
struct gk_call {
  std::vector<std::vector<D>> data;
  std::vector<const void*> argv;
  std::vector<D> vals;
  std::vector<long long> idx;
};

template <typename D>
static gk_call<D> gk_read_args(long long nargs) {
  gk_call<D> c;
  c.data.resize(nargs);
  for (long long a = 0; a < nargs; a++) {
    std::vector<double> v = gk_rdf();
    c.data[a].resize(v.size() + 1);
    for (size_t k = 0; k < v.size(); k++) gk_to(v[k], &c.data[a][k]);
    c.argv.push_back(c.data[a].data());
  }
  return c;
}

template <typename D>
static void gk_write(gk_call<D>& c) {
  std::vector<double> out(c.vals.size());
  for (size_t k = 0; k < out.size(); k++) out[k] = gk_from(c.vals[k]);
  gk_wr(out.data(), 8 * out.size());
  gk_wr(c.idx.data(), 8 * c.idx.size());
  fflush(stdout);
}

static unsigned gk_blocks(long long n, long long b) { return (unsigned)((n + b - 1) / b); }

template <typename D, typename K1>
static void gk_run_1d(const gk_record& r, gk_call<D>& c, K1 k) {
  gk_launch(gk_dim3{gk_blocks(r.nx, r.block), (unsigned)r.nbatch, 1}, r.block, k, r.nx, r.ny,
            r.offs.data(), c.argv.data(), c.vals.data(), c.idx.data());
}

template <typename D, typename K1>
static void gk_run_ranges(const gk_record& r, gk_call<D>& c, K1 k) {
  gk_launch(gk_dim3{(unsigned)r.nitems, 1, 1}, r.block, k, r.nx, r.ny, r.nitems, r.items.data(),
            c.argv.data(), c.vals.data(), c.idx.data());
}

template <typename D, typename K2, typename KM>
static void gk_run_2d(const gk_record& r, gk_call<D>& c, K2 k, KM merge, long long part) {
  std::vector<double> parts(r.nbatch * r.nby * r.nx * part + 1);
  if (r.nby > 0)
    gk_launch(gk_dim3{gk_blocks(r.nx, r.block), (unsigned)r.nby, (unsigned)r.nbatch}, r.block, k, r.nx, r.ny,
              r.jchunk, r.offs.data(), c.argv.data(), parts.data());
  gk_launch(gk_dim3{gk_blocks(r.nx, r.block), (unsigned)r.nbatch, 1}, r.block, merge, r.nx, r.nby,
            (const double*)parts.data(), c.vals.data(), c.idx.data());
}

// gk_case runs one record whose kernels have data type D.
template <typename D, typename F>
static void gk_case(const gk_record& r, long long nargs, F run) {
  gk_call<D> c = gk_read_args<D>(nargs);
  c.vals.resize(r.nvals + 1);
  c.idx.resize(r.nidx + 1);
  run(c);
  c.vals.resize(r.nvals);
  c.idx.resize(r.nidx);
  gk_write(c);
}

static gk_record gk_read_record() {
  gk_record r;
  r.kind = gk_rd(); r.nx = gk_rd(); r.ny = gk_rd(); r.nbatch = gk_rd(); r.block = gk_rd();
  r.jchunk = gk_rd(); r.nby = gk_rd(); r.nitems = gk_rd();
  r.offs = gk_rdv(); r.items = gk_rdv();
  r.nvals = gk_rd(); r.nidx = gk_rd();
  return r;
}
