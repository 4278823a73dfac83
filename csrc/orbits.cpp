// Orbit adjacency matrices of 2-4-node graphlets (GRADCO), exact, OpenMP.
//
// Same counting scheme as graphrep/orbits/_numba.py (derivations in
// docs/orbits.rst). For an ordered pair (u, v) with C = N(u) & N(v), k = |C|
// and t(x, y) = |N(x) & N(y)| on edges, one pass over the wedges u-c-v
// collects
//   k, Sd = sum_{c in C} d(c), Su = sum_{c in C} t(u, c), Sv = sum_{c in C} t(c, v),
// the edges among N(u) give EC = edges inside C, and the sparse row product
// A^2[u, :] A gives A3 = (A^3)[u, v]. Every one of the 28 counts is an
// inclusion-exclusion over these, d, tri (triangles at a node) and
// d2 (sum of the neighbours' degrees): no 4-node subgraph is enumerated.
//
// Only the aggregates the wanted keys read are collected (kKeyNeeds), and
// nothing is stored per triangle: the memory is O(m) for the graph, the
// edge triangle counts and the hubs' neighbourhood bitsets, O(n) scratch per
// thread, and the entries of the rows being computed. Every large allocation goes through counted_allocate, so
// running out of memory (or past the limit set by set_allocation_limit)
// becomes a Python MemoryError, never an abort inside an OpenMP region.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "threads.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define GRAPHREP_MMAP_PAGES 1
#endif

namespace py = pybind11;
using i64 = std::int64_t;

namespace {

// ---- counted allocation -----------------------------------------------------

std::atomic<i64> g_allocated{0};
std::atomic<i64> g_limit{-1};  // bytes; -1: no limit

void* counted_allocate(std::size_t bytes) {
  const i64 size = static_cast<i64>(bytes);
  const i64 after = g_allocated.fetch_add(size) + size;
  const i64 limit = g_limit.load();
  void* memory = (limit >= 0 && after > limit) ? nullptr : std::malloc(bytes ? bytes : 1);
  if (memory == nullptr) {
    g_allocated.fetch_sub(size);
    throw std::bad_alloc();
  }
  return memory;
}

void counted_free(void* memory, std::size_t bytes) {
  g_allocated.fetch_sub(static_cast<i64>(bytes));
  std::free(memory);
}

// Output pages are mapped and unmapped directly, so a drained page goes back
// to the system at once instead of staying in the allocator's free lists.
void* page_allocate(std::size_t bytes) {
#ifdef GRAPHREP_MMAP_PAGES
  const i64 size = static_cast<i64>(bytes);
  const i64 after = g_allocated.fetch_add(size) + size;
  const i64 limit = g_limit.load();
  void* memory = (limit >= 0 && after > limit)
                     ? MAP_FAILED
                     : mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    g_allocated.fetch_sub(size);
    throw std::bad_alloc();
  }
  return memory;
#else
  return counted_allocate(bytes);
#endif
}

void page_free(void* memory, std::size_t bytes) {
#ifdef GRAPHREP_MMAP_PAGES
  g_allocated.fetch_sub(static_cast<i64>(bytes));
  munmap(memory, bytes);
#else
  counted_free(memory, bytes);
#endif
}

template <class T>
struct Counted {
  using value_type = T;
  Counted() = default;
  template <class U>
  Counted(const Counted<U>&) {}
  T* allocate(std::size_t count) { return static_cast<T*>(counted_allocate(count * sizeof(T))); }
  void deallocate(T* memory, std::size_t count) { counted_free(memory, count * sizeof(T)); }
  template <class U>
  bool operator==(const Counted<U>&) const { return true; }
  template <class U>
  bool operator!=(const Counted<U>&) const { return false; }
};

template <class T>
using Vec = std::vector<T, Counted<T>>;

struct CoreMemoryError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void out_of_memory(const char* what) {
  const i64 limit = g_limit.load();
  std::string message = std::string("graphrep's C++ orbit core ran out of memory while ") + what + " (" +
                        std::to_string(g_allocated.load()) + " bytes held by the core";
  if (limit >= 0) message += ", allocation limit " + std::to_string(limit) + " bytes";
  throw CoreMemoryError(message + ")");
}

// ---- keys and what they read ------------------------------------------------

constexpr int kNumKeys = 28;
// Keys (positions in ORBIT_ADJACENCY_KEYS) an adjacent pair can have, and a
// non-adjacent pair; a pair at distance 3 can only have key 10, (3, 4, 4).
constexpr std::array<int, 19> kHop1Keys = {0, 1, 2, 4, 5, 6, 9, 11, 12, 14, 16, 17, 18, 19, 20, 23, 24, 25, 27};
constexpr std::array<int, 9> kHop23Keys = {3, 7, 8, 10, 13, 15, 21, 22, 26};
constexpr int kHop3Key = 10;

// Aggregates a key's formula reads (graphrep/orbits/plan.py keeps the same
// table, KEY_NEEDS, and the tests check that both agree).
enum Need : int { kK = 1, kSd = 2, kSu = 4, kSv = 8, kEc = 16, kA3 = 32, kTri = 64, kD2 = 128 };
constexpr std::array<int, kNumKeys> kKeyNeeds = {
    0,                                          // (1,0,0)
    kK, kK, kK, kK,                             // (1,1,2) (1,2,1) (2,1,1) (1,3,3)
    kK | kSd | kSu | kSv | kEc | kA3 | kTri | kD2,  // (1,4,5)
    kK | kSd | kSu | kSv | kEc | kA3 | kTri | kD2,  // (1,5,4)
    kK | kSv | kEc, kK | kSu | kEc,             // (2,4,5) (2,5,4)
    kK | kSu | kSv | kEc | kA3,                 // (1,5,5)
    kSu | kSv | kEc | kA3,                      // (3,4,4)
    kK | kSv | kEc | kTri, kK | kSu | kEc | kTri,  // (1,6,7) (1,7,6)
    kK | kSd | kSu | kSv | kEc,                 // (2,6,6)
    kK | kSu | kSv | kEc | kA3,                 // (1,8,8)
    kK | kEc,                                   // (2,8,8)
    kSv | kEc | kTri, kSu | kEc | kTri,         // (1,9,11) (1,11,9)
    kSd | kSu | kSv | kEc,                      // (1,10,10)
    kK | kSv | kEc, kK | kSu | kEc,             // (1,10,11) (1,11,10)
    kSv | kEc, kSu | kEc,                       // (2,9,10) (2,10,9)
    kK | kSv | kEc, kK | kSu | kEc,             // (1,12,13) (1,13,12)
    kK | kEc,                                   // (1,13,13)
    kEc, kEc,                                   // (2,12,12) (1,14,14)
};

// Per-node accumulator, one 64-byte cache line. nbr == u marks the
// neighbours of the current row u; mark == epoch marks N(c) for EC.
struct Acc {
  i64 k = 0, sd = 0, su = 0, sv = 0, ec = 0, a3 = 0, nbr = -1, mark = 0;
};

struct PairStats {
  i64 du, dv, k, sd, su, sv, ec, a3, tri_u, tri_v, d2u, d2v;
};

// vals[key] for an adjacent pair (u, v): t = k common neighbours.
void adjacent_values(const PairStats& s, i64* vals) {
  const i64 t = s.k;
  const i64 only_u = s.du - 1 - t;               // |N(u) \ N[v]|
  const i64 only_v = s.dv - 1 - t;               // |N(v) \ N[u]|
  const i64 edges_u = s.tri_u - s.su + s.ec;     // edges inside N(u) \ N[v]
  const i64 edges_v = s.tri_v - s.sv + s.ec;     // edges inside N(v) \ N[u]
  // edges between N(u)\N[v] and N(v)\N[u]: 3-walks u-w-x-v minus those that
  // revisit u or v or pass through the common neighbourhood
  const i64 cross = s.a3 - s.du - s.dv + 1 + 2 * t + 2 * s.ec - s.su - s.sv;
  vals[0] = 1;                                                    // (1,0,0)
  vals[1] = only_v;                                               // (1,1,2)
  vals[2] = only_u;                                               // (1,2,1)
  vals[4] = t;                                                    // (1,3,3)
  vals[5] = s.d2v - s.du - s.sd - 2 * s.tri_v + t + s.sv - only_v - cross;  // (1,4,5)
  vals[6] = s.d2u - s.dv - s.sd - 2 * s.tri_u + t + s.su - only_u - cross;  // (1,5,4)
  vals[9] = only_u * only_v - cross;                              // (1,5,5)
  vals[11] = only_v * (only_v - 1) / 2 - edges_v;                 // (1,6,7)
  vals[12] = only_u * (only_u - 1) / 2 - edges_u;                 // (1,7,6)
  vals[14] = cross;                                               // (1,8,8)
  vals[16] = edges_v;                                             // (1,9,11)
  vals[17] = edges_u;                                             // (1,11,9)
  vals[18] = s.sd - s.su - s.sv + 2 * s.ec;                       // (1,10,10)
  vals[19] = t * (s.dv - t) - s.sv + 2 * s.ec;                    // (1,10,11)
  vals[20] = t * (s.du - t) - s.su + 2 * s.ec;                    // (1,11,10)
  vals[23] = s.sv - t - 2 * s.ec;                                 // (1,12,13)
  vals[24] = s.su - t - 2 * s.ec;                                 // (1,13,12)
  vals[25] = t * (t - 1) / 2 - s.ec;                              // (1,13,13)
  vals[27] = s.ec;                                                // (1,14,14)
}

// vals[key] for a non-adjacent pair with k >= 1 common neighbours.
void distance_two_values(const PairStats& s, i64* vals) {
  const i64 k = s.k;
  vals[3] = k;                                                    // (2,1,1)
  vals[7] = k * (s.dv - k) - s.sv + 2 * s.ec;                     // (2,4,5)
  vals[8] = k * (s.du - k) - s.su + 2 * s.ec;                     // (2,5,4)
  vals[10] = s.a3 - s.su - s.sv + 2 * s.ec;                       // (3,4,4)
  vals[13] = s.sd - 2 * k - s.su - s.sv + 2 * s.ec;               // (2,6,6)
  vals[15] = k * (k - 1) / 2 - s.ec;                              // (2,8,8)
  vals[21] = s.sv - 2 * s.ec;                                     // (2,9,10)
  vals[22] = s.su - 2 * s.ec;                                     // (2,10,9)
  vals[26] = s.ec;                                                // (2,12,12)
}

// ---- output buffers ---------------------------------------------------------

// One key's (column, value) entries from one thread, appended in pages of
// kPage entries: no reallocation copies, and drain() hands them over in
// order while freeing every page it has passed.
class EntryPages {
 public:
  static constexpr int kShift = 14;
  static constexpr i64 kPage = i64(1) << kShift;
  static constexpr std::size_t kPageBytes = 2 * kPage * sizeof(i64);  // columns, then values

  EntryPages() = default;
  EntryPages(const EntryPages&) = delete;
  EntryPages& operator=(const EntryPages&) = delete;
  EntryPages(EntryPages&& other) noexcept
      : pages_(std::move(other.pages_)), size_(other.size_), freed_(other.freed_) {
    other.pages_.clear();
    other.size_ = other.freed_ = 0;
  }
  ~EntryPages() { clear(); }

  i64 size() const { return size_; }

  void push(i64 col, i64 val) {
    const i64 slot = size_ & (kPage - 1);
    if (slot == 0) pages_.push_back(static_cast<i64*>(page_allocate(kPageBytes)));
    i64* page = pages_[size_ >> kShift];
    page[slot] = col;
    page[kPage + slot] = val;
    ++size_;
  }

  // Copies entries [begin, end) out; spans must come in increasing order.
  void drain(i64 begin, i64 end, i64* cols, i64* vals) {
    while (begin < end) {
      const i64 page = begin >> kShift, slot = begin & (kPage - 1);
      const i64 count = std::min(end - begin, kPage - slot);
      std::memcpy(cols, pages_[page] + slot, count * sizeof(i64));
      std::memcpy(vals, pages_[page] + kPage + slot, count * sizeof(i64));
      cols += count;
      vals += count;
      begin += count;
    }
    for (; freed_ < (end >> kShift); ++freed_) release(freed_);
  }

  void clear() {
    for (; freed_ < static_cast<i64>(pages_.size()); ++freed_) release(freed_);
    pages_.clear();
    size_ = freed_ = 0;
  }

 private:
  void release(i64 page) {
    page_free(pages_[page], kPageBytes);
    pages_[page] = nullptr;
  }

  Vec<i64*> pages_;
  i64 size_ = 0, freed_ = 0;
};

struct ThreadOutput {
  std::array<EntryPages, kNumKeys> keys;
};

// Rows [first, done) of a chunk were computed by `thread`; its entries of
// each key are [begin[key], end[key]) in that thread's pages.
struct ChunkSpan {
  int thread = -1;
  i64 first = 0, done = 0;
  std::array<i64, kNumKeys> begin{}, end{};
};

struct Scratch {
  Vec<Acc> acc;
  Vec<std::uint8_t> seen;
  Vec<i64> touched, ego, common_list;
  Vec<std::uint64_t> common;  // N(u) & N(x) as a bitset, zero between pairs
  i64 epoch = 0;
};

enum class Mode { kEntries, kRowNnz };

// Population count with the processor's instruction where it has one (the
// build targets generic x86-64, whose software fallback is several times
// slower); the loader picks the clone once.
#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__)
#define GRAPHREP_POPCOUNT_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define GRAPHREP_POPCOUNT_CLONES
#endif

// Hub bitsets: slot[v] >= 0 gives v's neighbourhood, words 64-bit words at
// bits + slot[v] * words.
struct HubBits {
  const i64* slot;
  const std::uint64_t* bits;
  i64 words;
  const std::uint64_t* of(i64 v) const { return slot[v] < 0 ? nullptr : bits + slot[v] * words; }
};

// Edges inside a node set S given as a bitset `set` and as its members
// `members[0..size)`: every c in S counts its neighbours in S below it, by
// a popcount of S & N(c) when c is a hub, else by scanning c's sorted list
// up to c.
GRAPHREP_POPCOUNT_CLONES
i64 edges_inside(const i64* members, i64 size, const std::uint64_t* set, const HubBits& hubs, const i64* indptr,
                 const i64* indices) {
  i64 edges = 0;
  for (i64 i = 0; i < size; ++i) {
    const i64 c = members[i];
    const std::uint64_t* bits_c = hubs.of(c);
    if (bits_c != nullptr) {
      const i64 last = c >> 6;
      for (i64 word = 0; word < last; ++word) edges += __builtin_popcountll(set[word] & bits_c[word]);
      edges += __builtin_popcountll(set[last] & bits_c[last] & ((std::uint64_t(1) << (c & 63)) - 1));
    } else {
      for (i64 q = indptr[c]; q < indptr[c + 1] && indices[q] < c; ++q)
        edges += (set[indices[q] >> 6] >> (indices[q] & 63)) & 1;
    }
  }
  return edges;
}

using IndexArray = py::array_t<i64, py::array::c_style | py::array::forcecast>;

class OrbitRows {
 public:
  // `rows`: None, or the only rows this instance will compute (row_nnz
  // alone), so that the edge triangle counts are needed only on the edges
  // of those rows and of their neighbours (a sample costs O(its
  // neighbourhood), not O(graph)).
  OrbitRows(IndexArray indptr, IndexArray indices, py::array_t<bool, py::array::c_style | py::array::forcecast> wanted,
            bool need_a3, int threads, py::object rows)
      : indptr_array_(std::move(indptr)),
        indices_array_(std::move(indices)),
        indptr_(indptr_array_.data()),
        indices_(indices_array_.data()),
        threads_(thread_count(threads)) {
    if (wanted.size() != kNumKeys) throw std::invalid_argument("wanted must have 28 entries");
    std::copy(wanted.data(), wanted.data() + kNumKeys, wanted_.begin());
    n_ = static_cast<i64>(indptr_array_.size()) - 1;
    int needs = 0;
    bool hop1 = false;
    for (int key = 0; key < kNumKeys; ++key)
      if (wanted_[key]) needs |= kKeyNeeds[key];
    for (int key : kHop1Keys) hop1 = hop1 || wanted_[key];
    for (int key : kHop23Keys) far_ = far_ || wanted_[key];
    if (!need_a3) needs &= ~kA3;
    a3_far_ = (needs & kA3) && wanted_[kHop3Key];
    a3_near_ = (needs & kA3) && hop1 && !a3_far_;
    // k at every node within distance two: to classify far columns, and for
    // the A3 gather on edges; otherwise the wedges only feed the neighbours
    wedge_all_ = far_ || (needs & kA3);
    wedge_near_ = !wedge_all_ && (needs & (kK | kSd | kSu | kSv));
    need_t_ = needs & (kSu | kSv | kTri);
    need_ec_ = needs & kEc;
    need_tri_ = needs & kTri;
    need_d2_ = needs & kD2;
    if (!rows.is_none()) {
      IndexArray only = rows.cast<IndexArray>();
      only_rows_.assign(only.data(), only.data() + only.size());
      std::sort(only_rows_.begin(), only_rows_.end());
      for (i64 u : only_rows_)
        if (u < 0 || u >= n_) throw std::out_of_range("row outside the graph");
      restricted_ = true;
    }
    try {
      py::gil_scoped_release release;
      precompute();
      scratch_.resize(threads_);
      outputs_.resize(threads_);
    } catch (const std::bad_alloc&) {
      out_of_memory("precomputing the triangle counts");
    }
  }

  // Rows u0..u1-1: (row_stat[rows, 28], cols per key, vals per key); see
  // graphrep/orbits/_numba.py::orbit_rows for the exact contract.
  py::tuple operator()(i64 u0, i64 u1) {
    py::tuple result = compute(u0, u1, -1);
    return py::make_tuple(result[1], result[2], result[3]);
  }

  // Rows u0..u1-1, stopping once about max_entries entries are held (-1: no
  // cap): every thread finishes the row it is on, so the overshoot is at most
  // one row per thread. Returns (ranges[r, 2] of the rows done, row_stat[u1 -
  // u0, 28] (zero for rows not done), cols per key, vals per key), the
  // entries in row order over the ranges.
  py::tuple compute(i64 u0, i64 u1, i64 max_entries) {
    if (u0 < 0 || u1 > n_ || u0 > u1) throw std::out_of_range("row range outside the graph");
    if (restricted_) throw std::logic_error("built for the rows of a sample only: use row_nnz on them");
    try {
      return compute_rows(u0, u1, max_entries);
    } catch (const std::bad_alloc&) {
      for (auto& out : outputs_)
        for (auto& pages : out.keys) pages.clear();
      out_of_memory("computing orbit adjacency rows");
    }
  }

  double near_seconds() const { return near_seconds_; }

  // Exact number of entries of each key in each of `rows` (nothing stored).
  py::array_t<i64> row_nnz(IndexArray rows) {
    const i64 count = static_cast<i64>(rows.size());
    const i64* row_ids = rows.data();
    for (i64 i = 0; i < count; ++i) {
      if (row_ids[i] < 0 || row_ids[i] >= n_) throw std::out_of_range("row outside the graph");
      if (restricted_ && !std::binary_search(only_rows_.begin(), only_rows_.end(), row_ids[i]))
        throw std::out_of_range("row outside the rows this instance was built for");
    }
    // a thread's first row costs O(n) (its scratch is set up), so a small
    // sample runs on as many threads as its wedges are multiples of n
    i64 work = 0;
    for (i64 i = 0; i < count; ++i)
      for (i64 p = indptr_[row_ids[i]]; p < indptr_[row_ids[i] + 1]; ++p) work += 1 + deg_[indices_[p]];
    const int threads = static_cast<int>(std::clamp<i64>(work / std::max<i64>(n_, 1), 1, threads_));
    py::array_t<i64> result({count, static_cast<i64>(kNumKeys)});
    i64* stat = result.mutable_data();
    std::fill(stat, stat + count * kNumKeys, 0);
    std::atomic<bool> failed{false};
    {
      py::gil_scoped_release release;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
      for (i64 i = 0; i < count; ++i) {
        if (failed.load()) continue;
        try {
          const int id = thread_id();
          row(row_ids[i], thread_scratch(id), stat + i * kNumKeys, outputs_[id], Mode::kRowNnz);
        } catch (const std::bad_alloc&) {
          failed = true;
        }
      }
    }
    if (failed) out_of_memory("sampling orbit adjacency rows");
    return result;
  }

 private:
  py::tuple compute_rows(i64 u0, i64 u1, i64 max_entries) {
    const i64 rows = u1 - u0;
    py::array_t<i64> row_stat({rows, static_cast<i64>(kNumKeys)});
    i64* stat = row_stat.mutable_data();
    std::fill(stat, stat + rows * kNumKeys, 0);
    const i64 chunk = std::max<i64>(1, std::min<i64>(64, rows / (16 * threads_) + 1));
    const i64 chunks = (rows + chunk - 1) / chunk;
    Vec<ChunkSpan> spans(chunks);
    for (auto& out : outputs_)
      for (auto& pages : out.keys) pages.clear();
    std::atomic<i64> next{0}, held{0};
    std::atomic<bool> stop{false}, failed{false};
    {
      py::gil_scoped_release release;
      // chunks are handed out in order and every fetched chunk is worked on,
      // so the rows done are the fetched chunks' prefixes
#pragma omp parallel num_threads(threads_)
      {
        const int id = thread_id();
        try {
          Scratch& scratch = thread_scratch(id);
          ThreadOutput& out = outputs_[id];
          while (!stop.load()) {
            const i64 b = next.fetch_add(1);
            if (b >= chunks) break;
            ChunkSpan& span = spans[b];
            span.thread = id;
            span.first = span.done = u0 + b * chunk;
            for (int key = 0; key < kNumKeys; ++key) span.begin[key] = span.end[key] = out.keys[key].size();
            const i64 last = std::min(u1, span.first + chunk);
            for (i64 u = span.first; u < last && !stop.load(); ++u) {
              const i64 emitted = row(u, scratch, stat + (u - u0) * kNumKeys, out, Mode::kEntries);
              span.done = u + 1;
              for (int key = 0; key < kNumKeys; ++key) span.end[key] = out.keys[key].size();
              if (max_entries >= 0 && held.fetch_add(emitted) + emitted >= max_entries) stop = true;
            }
          }
        } catch (const std::bad_alloc&) {
          failed = true;
          stop = true;
        }
      }
    }
    if (failed) throw std::bad_alloc();
    std::vector<i64> ranges;
    std::array<i64, kNumKeys> totals{};
    for (const auto& span : spans) {
      if (span.thread < 0 || span.done == span.first) continue;
      if (!ranges.empty() && ranges.back() == span.first) {
        ranges.back() = span.done;
      } else {
        ranges.push_back(span.first);
        ranges.push_back(span.done);
      }
      for (int key = 0; key < kNumKeys; ++key) totals[key] += span.end[key] - span.begin[key];
    }
    py::array_t<i64> range_array({static_cast<i64>(ranges.size() / 2), i64(2)});
    std::copy(ranges.begin(), ranges.end(), range_array.mutable_data());
    py::list cols, vals;
    std::array<i64*, kNumKeys> cdst{}, vdst{};
    for (int key = 0; key < kNumKeys; ++key) {
      py::array_t<i64> key_cols(totals[key]), key_vals(totals[key]);
      cdst[key] = key_cols.mutable_data();
      vdst[key] = key_vals.mutable_data();
      cols.append(key_cols);
      vals.append(key_vals);
    }
    {
      py::gil_scoped_release release;
      for (int key = 0; key < kNumKeys; ++key) {
        for (const auto& span : spans) {
          if (span.thread < 0) continue;
          outputs_[span.thread].keys[key].drain(span.begin[key], span.end[key], cdst[key], vdst[key]);
          cdst[key] += span.end[key] - span.begin[key];
          vdst[key] += span.end[key] - span.begin[key];
        }
        for (auto& out : outputs_) out.keys[key].clear();
      }
    }
    return py::make_tuple(range_array, row_stat, cols, vals);
  }

  // (d(a), a) < (d(b), b): an edge (a, b) of N(u) is handled from its end of
  // larger degree, whose list is marked while the smaller one is scanned.
  bool lower(i64 a, i64 b) const { return deg_[a] < deg_[b] || (deg_[a] == deg_[b] && a < b); }

  // t[p] = |N(u) & N(c)| for the edge p = (u, c), counted once per edge by
  // scanning the smaller list against marks on the larger: O(sum over edges
  // of the smaller degree), then copied to the reverse position.
  void precompute() {
    deg_.resize(n_);
    for (i64 u = 0; u < n_; ++u) deg_[u] = indptr_[u + 1] - indptr_[u];
    tri_.assign(n_, 0);
    d2_.assign(n_, 0);
    if (need_d2_)
      for (i64 u = 0; u < n_; ++u)
        for (i64 p = indptr_[u]; p < indptr_[u + 1]; ++p) d2_[u] += deg_[indices_[p]];
    if (need_ec_) build_hub_bits();
    if (!need_t_ && !need_ec_) return;
    t_.assign(indptr_[n_], 0);
    if (restricted_) {
      const auto started = std::chrono::steady_clock::now();
      if (precompute_near_rows()) {
        near_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        return;
      }
    }
    std::atomic<bool> failed{false};
#pragma omp parallel num_threads(threads_)
    {
      try {
        Vec<i64> mark(n_, -1);
#pragma omp for schedule(dynamic, 64)
        for (i64 u = 0; u < n_; ++u) {
          for (i64 p = indptr_[u]; p < indptr_[u + 1]; ++p) mark[indices_[p]] = u;
          for (i64 p = indptr_[u]; p < indptr_[u + 1]; ++p) {
            const i64 c = indices_[p];
            if (!lower(c, u)) continue;
            i64 common = 0;
            for (i64 q = indptr_[c]; q < indptr_[c + 1]; ++q) common += mark[indices_[q]] == u;
            t_[p] = common;
          }
        }
      } catch (const std::bad_alloc&) {
        failed = true;
      }
    }
    if (failed) throw std::bad_alloc();
#pragma omp parallel for schedule(dynamic, 64) num_threads(threads_)
    for (i64 u = 0; u < n_; ++u)
      for (i64 p = indptr_[u]; p < indptr_[u + 1]; ++p) {
        const i64 c = indices_[p];
        if (lower(c, u)) continue;
        const i64* position = std::lower_bound(indices_ + indptr_[c], indices_ + indptr_[c + 1], u);
        t_[p] = t_[position - indices_];
      }
    if (need_tri_)
      for (i64 u = 0; u < n_; ++u) {
        for (i64 p = indptr_[u]; p < indptr_[u + 1]; ++p) tri_[u] += t_[p];
        tri_[u] /= 2;  // each triangle at u is seen from both of its edges at u
      }
  }

  // t on the edges that the rows of only_rows_ read: those of the rows and
  // of their neighbours, each by a merge of the two sorted lists; tri
  // (read at the rows and their neighbours) from them. Returns false, having
  // done nothing, where the pass over every edge costs less (a sample whose
  // neighbourhood holds the hubs).
  bool precompute_near_rows() {
    Vec<std::uint8_t> near(n_, 0);
    Vec<i64> nodes;
    for (i64 u : only_rows_) {
      if (!near[u]) nodes.push_back(u);
      near[u] = 1;
      for (i64 p = indptr_[u]; p < indptr_[u + 1]; ++p)
        if (!near[indices_[p]]) {
          near[indices_[p]] = 1;
          nodes.push_back(indices_[p]);
        }
    }
    const i64 count = static_cast<i64>(nodes.size());
    // merges: d(x) + d(c) per edge (x, c) here; the full pass: d(u) to mark
    // N(u), then d(c) per neighbour c below u
    i64 by_merge = 0, by_all = 0;
    for (i64 x : nodes)
      for (i64 p = indptr_[x]; p < indptr_[x + 1]; ++p) by_merge += deg_[x] + deg_[indices_[p]];
    for (i64 u = 0; u < n_ && by_all < by_merge; ++u) {
      by_all += deg_[u];
      for (i64 p = indptr_[u]; p < indptr_[u + 1]; ++p)
        if (lower(indices_[p], u)) by_all += deg_[indices_[p]];
    }
    if (by_all < by_merge) return false;
#pragma omp parallel for schedule(dynamic, 64) num_threads(threads_)
    for (i64 i = 0; i < count; ++i) {
      const i64 x = nodes[i];
      for (i64 p = indptr_[x]; p < indptr_[x + 1]; ++p) {
        const i64 c = indices_[p];
        const i64 *a = indices_ + indptr_[x], *a_end = indices_ + indptr_[x + 1];
        const i64 *b = indices_ + indptr_[c], *b_end = indices_ + indptr_[c + 1];
        i64 common = 0;
        while (a < a_end && b < b_end) {
          if (*a < *b) {
            ++a;
          } else if (*b < *a) {
            ++b;
          } else {
            ++common;
            ++a;
            ++b;
          }
        }
        t_[p] = common;
      }
      if (need_tri_) {
        for (i64 p = indptr_[x]; p < indptr_[x + 1]; ++p) tri_[x] += t_[p];
        tri_[x] /= 2;
      }
    }
    return true;
  }

  // Neighbourhood bitsets of the hubs, the nodes with d * 64 >= n, whose
  // bitset (n / 8 bytes) is no larger than their adjacency list (8 d
  // bytes): at most as much memory as the graph's indices.
  void build_hub_bits() {
    words_ = (n_ + 63) / 64;
    hub_slot_.assign(n_, -1);
    i64 hubs = 0;
    for (i64 u = 0; u < n_; ++u)
      if (deg_[u] * 64 >= n_) hub_slot_[u] = hubs++;
    hub_bits_.assign(hubs * words_, 0);
#pragma omp parallel for schedule(dynamic, 64) num_threads(threads_)
    for (i64 u = 0; u < n_; ++u) {
      if (hub_slot_[u] < 0) continue;
      std::uint64_t* bits = hub_bits_.data() + hub_slot_[u] * words_;
      for (i64 p = indptr_[u]; p < indptr_[u + 1]; ++p) bits[indices_[p] >> 6] |= std::uint64_t(1) << (indices_[p] & 63);
    }
  }

  const std::uint64_t* hub_bits(i64 u) const {
    return hub_slot_[u] < 0 ? nullptr : hub_bits_.data() + hub_slot_[u] * words_;
  }

  // Which way row u's EC is cheaper, judged from its edges' triangle
  // counts: enumerating the edges (c, w) inside N(u) (each costs a scan of
  // N(c), then a word per bitset word or per entry of N(w), then one per
  // common neighbour of c and w, estimated by t(u, c)), or counting the
  // edges inside N(u) & N(x) for each column x (each c in N(u) is in that
  // set for each of its neighbours x, and costs min(words, d(c)) there).
  bool ec_by_pairs(i64 u) const {
    double by_edges = 0, by_pairs = 0;
    for (i64 p = indptr_[u]; p < indptr_[u + 1]; ++p) {
      const i64 c = indices_[p], dc = deg_[c], per_member = std::min(words_, dc);
      by_edges += dc + 0.5 * t_[p] * (per_member + t_[p]);
      by_pairs += (far_ ? dc : t_[p]) * (1.0 + 0.5 * per_member);
    }
    return by_pairs < by_edges;
  }

  // EC(u, x) = edges inside N(u) & N(x), the set built as a bitset (an AND
  // of two hubs' bitsets, else the shorter side scanned against the other).
  i64 ec_of_pair(i64 u, i64 x, const Acc* acc, Scratch& scratch) const {
    const HubBits hubs{hub_slot_.data(), hub_bits_.data(), words_};
    std::uint64_t* set = scratch.common.data();
    i64* members = scratch.common_list.data();
    i64 size = 0;
    const std::uint64_t* bits_u = hubs.of(u);
    const std::uint64_t* bits_x = hubs.of(x);
    if (bits_u != nullptr && bits_x != nullptr) {
      for (i64 word = 0; word < words_; ++word) {
        std::uint64_t both = bits_u[word] & bits_x[word];
        set[word] = both;
        for (; both; both &= both - 1) members[size++] = word * 64 + __builtin_ctzll(both);
      }
    } else {
      auto add = [&](i64 c) {
        set[c >> 6] |= std::uint64_t(1) << (c & 63);
        members[size++] = c;
      };
      if (bits_x != nullptr) {
        for (i64 p = indptr_[u]; p < indptr_[u + 1]; ++p)
          if ((bits_x[indices_[p] >> 6] >> (indices_[p] & 63)) & 1) add(indices_[p]);
      } else {
        for (i64 q = indptr_[x]; q < indptr_[x + 1]; ++q)
          if (acc[indices_[q]].nbr == u) add(indices_[q]);
      }
    }
    const i64 edges = edges_inside(members, size, set, hubs, indptr_, indices_);
    for (i64 i = 0; i < size; ++i) set[members[i] >> 6] = 0;  // every nonzero word holds a member
    return edges;
  }

  Scratch& thread_scratch(int id) {
    Scratch& scratch = scratch_[id];
    if (scratch.acc.empty()) {
      scratch.acc.assign(n_, Acc{});
      scratch.seen.assign(n_, 0);
      scratch.touched.resize(n_);
      scratch.ego.resize(n_);
      if (need_ec_) {
        scratch.common_list.resize(n_);
        scratch.common.assign(words_, 0);
      }
    }
    return scratch;
  }

  // One row; returns the number of entries it stored.
  i64 row(i64 u, Scratch& scratch, i64* stat, ThreadOutput& out, Mode mode) const {
    Acc* acc = scratch.acc.data();
    std::uint8_t* seen = scratch.seen.data();
    i64* touched = scratch.touched.data();
    const i64* t = t_.data();
    i64 count = 0;
    auto touch = [&](i64 v) {
      if (!seen[v]) {
        seen[v] = 1;
        touched[count++] = v;
      }
    };
    const i64 begin = indptr_[u], end = indptr_[u + 1];
    for (i64 p = begin; p < end; ++p) {
      acc[indices_[p]].nbr = u;
      if (wedge_all_) touch(indices_[p]);
    }
    // wedges u-c-v: k, Sd, Su, Sv at every v, or only at the neighbours of u
    if (wedge_all_ || wedge_near_) {
      for (i64 p = begin; p < end; ++p) {
        const i64 c = indices_[p], dc = deg_[c], tuc = need_t_ ? t[p] : 0;
        for (i64 q = indptr_[c]; q < indptr_[c + 1]; ++q) {
          const i64 v = indices_[q];
          Acc& a = acc[v];
          if (wedge_all_) {
            if (v == u) continue;
            touch(v);
          } else if (a.nbr != u) {
            continue;
          }
          a.k += 1;
          a.sd += dc;
          if (need_t_) {
            a.su += tuc;
            a.sv += t[q];
          }
        }
      }
    }
    // EC: each edge (c, w) inside N(u), taken from its larger end c, adds 1
    // at every x in N(c) & N(w): the AND of their bitsets when both are
    // hubs (w is then one too: it is the smaller end), else N(w) scanned
    // against c's bitset or against marks on N(c)
    const bool pairs_ec = need_ec_ && ec_by_pairs(u);
    if (need_ec_ && !pairs_ec) {
      i64* ego = scratch.ego.data();
      const std::uint64_t* bits_u = far_ ? nullptr : hub_bits(u);
      for (i64 p = begin; p < end; ++p) {
        const i64 c = indices_[p];
        i64 found = 0;
        for (i64 q = indptr_[c]; q < indptr_[c + 1]; ++q) {
          const i64 w = indices_[q];
          if (acc[w].nbr == u && lower(w, c)) ego[found++] = w;
        }
        if (found == 0) continue;
        const std::uint64_t* bits_c = hub_bits(c);
        const i64 epoch = ++scratch.epoch;
        if (bits_c == nullptr)
          for (i64 q = indptr_[c]; q < indptr_[c + 1]; ++q) acc[indices_[q]].mark = epoch;
        for (i64 i = 0; i < found; ++i) {
          const i64 w = ego[i];
          const std::uint64_t* bits_w = hub_bits(w);
          if (bits_w != nullptr) {
            for (i64 word = 0; word < words_; ++word) {
              std::uint64_t common = bits_c[word] & bits_w[word] & (bits_u ? bits_u[word] : ~std::uint64_t(0));
              while (common) {
                Acc& a = acc[word * 64 + __builtin_ctzll(common)];
                a.ec += bits_u != nullptr || far_ || a.nbr == u;
                common &= common - 1;
              }
            }
          } else if (bits_c != nullptr) {
            for (i64 r = indptr_[w]; r < indptr_[w + 1]; ++r) {
              const i64 x = indices_[r];
              Acc& a = acc[x];
              a.ec += ((bits_c[x >> 6] >> (x & 63)) & 1) && (far_ || a.nbr == u);
            }
          } else {
            for (i64 r = indptr_[w]; r < indptr_[w + 1]; ++r) {
              Acc& a = acc[indices_[r]];
              a.ec += a.mark == epoch && (far_ || a.nbr == u);
            }
          }
        }
      }
      acc[u].ec = 0;  // u lies in every N(c) & N(w) here; it is not a column
    }
    // A3[u, :] = A2[u, :] A, with A2[u, u] = d(u): the full row product, or
    // on the edges only, A3[u, v] = d(u) + sum over w in N(v) - u of k(u, w)
    if (a3_far_) {
      const i64 within_two = count;
      for (i64 i = 0; i < within_two; ++i) {
        const i64 w = touched[i], walks = acc[w].k;
        if (walks == 0) continue;
        for (i64 q = indptr_[w]; q < indptr_[w + 1]; ++q) {
          const i64 v = indices_[q];
          if (v == u) continue;
          touch(v);
          acc[v].a3 += walks;
        }
      }
      for (i64 p = begin; p < end; ++p) acc[indices_[p]].a3 += deg_[u];
    } else if (a3_near_) {
      for (i64 p = begin; p < end; ++p) {
        const i64 v = indices_[p];
        i64 walks = deg_[u];
        for (i64 q = indptr_[v]; q < indptr_[v + 1]; ++q)
          if (indices_[q] != u) walks += acc[indices_[q]].k;
        acc[v].a3 = walks;
      }
    }
    i64 emitted = 0, vals[kNumKeys];
    auto emit = [&](int key, i64 v) {
      const i64 value = vals[key];
      if (value == 0 || !wanted_[key]) return;
      stat[key] += 1;
      if (mode == Mode::kEntries) {
        out.keys[key].push(v, value);
        ++emitted;
      }
    };
    // with pairs_ec, EC is counted per column here; it is 0 below 2 common
    // neighbours (when k is collected)
    const bool k_known = wedge_all_ || wedge_near_;
    auto stats = [&](i64 v) {
      Acc& a = acc[v];
      if (pairs_ec && (!k_known || a.k >= 2)) a.ec = ec_of_pair(u, v, acc, scratch);
      return PairStats{deg_[u], deg_[v], a.k, a.sd, a.su, a.sv, a.ec, a.a3, tri_[u], tri_[v], d2_[u], d2_[v]};
    };
    auto reset = [&](i64 v) {
      Acc& a = acc[v];
      a.k = a.sd = a.su = a.sv = a.ec = a.a3 = 0;
      seen[v] = 0;
    };
    if (far_) {
      // columns in ascending order: sort a short row, scan the marks of a long one
      if (count * 64 < n_) {
        std::sort(touched, touched + count);
      } else {
        i64 filled = 0;
        for (i64 v = 0; v < n_; ++v)
          if (seen[v]) touched[filled++] = v;
      }
      for (i64 i = 0; i < count; ++i) {
        const i64 v = touched[i];
        const Acc& a = acc[v];
        if (a.nbr == u) {
          adjacent_values(stats(v), vals);
          for (int key : kHop1Keys) emit(key, v);
        } else if (a.k > 0) {
          distance_two_values(stats(v), vals);
          for (int key : kHop23Keys) emit(key, v);
        } else {
          vals[kHop3Key] = a.a3;
          emit(kHop3Key, v);
        }
        reset(v);
      }
    } else {
      for (i64 p = begin; p < end; ++p) {
        const i64 v = indices_[p];
        adjacent_values(stats(v), vals);
        for (int key : kHop1Keys) emit(key, v);
      }
      if (wedge_all_) {
        for (i64 i = 0; i < count; ++i) reset(touched[i]);
      } else {
        for (i64 p = begin; p < end; ++p) reset(indices_[p]);
      }
    }
    return emitted;
  }

  IndexArray indptr_array_, indices_array_;  // the caller's arrays, kept alive, not copied
  const i64* indptr_;
  const i64* indices_;
  Vec<i64> deg_, t_, tri_, d2_, hub_slot_;
  Vec<std::uint64_t> hub_bits_;
  i64 words_ = 0;
  std::array<bool, kNumKeys> wanted_{};
  i64 n_ = 0;
  std::vector<i64> only_rows_;  // with restricted_, the rows row_nnz may be asked for (sorted)
  bool restricted_ = false;
  double near_seconds_ = 0;     // with restricted_, the time precompute_near_rows took
  bool far_ = false, wedge_all_ = false, wedge_near_ = false, need_t_ = false, need_ec_ = false;
  bool need_tri_ = false, need_d2_ = false, a3_far_ = false, a3_near_ = false;
  int threads_;
  std::vector<Scratch> scratch_;
  std::vector<ThreadOutput> outputs_;
};

}  // namespace

void register_orbits(py::module_& m) {
  py::register_exception<CoreMemoryError>(m, "CoreMemoryError", PyExc_MemoryError);
  m.def("set_allocation_limit", [](i64 limit) { g_limit = limit; }, py::arg("limit"),
        "Caps the bytes the orbit core may hold at once (-1: no cap); an allocation past it raises "
        "MemoryError. For tests of the out-of-memory path.");
  m.def("allocated_bytes", [] { return g_allocated.load(); }, "Bytes the orbit core holds now.");
  m.def("key_needs", [] { return std::vector<int>(kKeyNeeds.begin(), kKeyNeeds.end()); },
        "Bit mask of the aggregates (k, Sd, Su, Sv, EC, A3, tri, d2) each key reads.");
  py::class_<OrbitRows>(m, "OrbitRows",
                        "Precomputed triangle counts of a CSR graph; calling it with (u0, u1) returns "
                        "rows u0..u1-1 of the wanted orbit adjacency matrices.")
      .def(py::init<IndexArray, IndexArray, py::array_t<bool, py::array::c_style | py::array::forcecast>, bool, int,
                    py::object>(),
           py::arg("indptr"), py::arg("indices"), py::arg("wanted"), py::arg("need_a3"), py::arg("threads"),
           py::arg("rows") = py::none())
      .def("__call__", &OrbitRows::operator(), py::arg("u0"), py::arg("u1"))
      .def("compute", &OrbitRows::compute, py::arg("u0"), py::arg("u1"), py::arg("max_entries"))
      .def("row_nnz", &OrbitRows::row_nnz, py::arg("rows"))
      .def_property_readonly("near_seconds", &OrbitRows::near_seconds,
                             "Built for a sample: seconds spent on the triangle counts near its rows (else 0).");
}
