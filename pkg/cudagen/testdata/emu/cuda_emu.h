// A CPU emulation of the few CUDA features the generated kernels use, for
// the tests: each block runs as blockDim.x threads with a barrier for
// __syncthreads, blocks one after the other (so that a function-static
// array is the block's shared memory).
#pragma once
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#define GK_EMULATION 1
#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static

using std::exp; using std::log; using std::sin; using std::cos; using std::sqrt; using std::fabs;
using std::floor; using std::round; using std::trunc; using std::pow; using std::atan2; using std::asin;
using std::acos; using std::atan; using std::erf; using std::isinf;

struct gk_dim3 { unsigned x = 1, y = 1, z = 1; };
static thread_local gk_dim3 threadIdx, blockIdx;
static gk_dim3 blockDim, gridDim;

// gk_barrier is a reusable barrier for the threads of one block.
struct gk_barrier {
  std::mutex mu;
  std::condition_variable cv;
  unsigned n = 0, waiting = 0, generation = 0;
  void wait() {
    std::unique_lock<std::mutex> lock(mu);
    unsigned gen = generation;
    if (++waiting == n) {
      waiting = 0;
      generation++;
      cv.notify_all();
      return;
    }
    cv.wait(lock, [&] { return gen != generation; });
  }
};
static gk_barrier gk_block_barrier;
inline void __syncthreads() { gk_block_barrier.wait(); }

inline float gk_inf_f() { return INFINITY; }
inline double gk_inf_d() { return (double)INFINITY; }
inline float gk_h2f(unsigned short h) { _Float16 f; std::memcpy(&f, &h, 2); return (float)f; }
inline unsigned short gk_f2h(float x) { _Float16 f = (_Float16)x; unsigned short h; std::memcpy(&h, &f, 2); return h; }

// gk_launch runs kernel f on grid x block threads (block.y = block.z = 1).
template <typename F, typename... A>
void gk_launch(gk_dim3 grid, unsigned block, F f, A... args) {
  gridDim = grid;
  blockDim = gk_dim3{block, 1, 1};
  gk_block_barrier.n = block;
  for (unsigned z = 0; z < grid.z; z++)
    for (unsigned y = 0; y < grid.y; y++)
      for (unsigned x = 0; x < grid.x; x++) {
        std::vector<std::thread> ts;
        for (unsigned t = 0; t < block; t++)
          ts.emplace_back([=] {
            threadIdx = gk_dim3{t, 0, 0};
            blockIdx = gk_dim3{x, y, z};
            f(args...);
          });
        for (auto& th : ts) th.join();
      }
}
