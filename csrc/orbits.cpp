// Orbit adjacency matrices of 2-4-node graphlets (GRADCO), exact, OpenMP.
//
// Same counting scheme as graphrep/orbits/_numba.py (derivations in
// docs/orbits.rst). For an ordered pair (u, v) with C = N(u) & N(v), k = |C|
// and t(x, y) = |N(x) & N(y)| on edges, one pass over the wedges u-c-v
// collects
//   k, Sd = sum_{c in C} d(c), Su = sum_{c in C} t(u, c), Sv = sum_{c in C} t(c, v),
// the triangles give EC = edges inside C, and the sparse row product
// A^2[u, :] A gives A3 = (A^3)[u, v]. Every one of the 28 counts is an
// inclusion-exclusion over these, d, tri (triangles at a node) and
// d2 (sum of the neighbours' degrees): no 4-node subgraph is enumerated.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace py = pybind11;
using i64 = std::int64_t;

namespace {

constexpr int kNumKeys = 28;
// Keys (positions in ORBIT_ADJACENCY_KEYS) an adjacent pair can have, and a
// non-adjacent pair; a pair at distance 3 can only have key 10, (3, 4, 4).
constexpr std::array<int, 19> kHop1Keys = {0, 1, 2, 4, 5, 6, 9, 11, 12, 14, 16, 17, 18, 19, 20, 23, 24, 25, 27};
constexpr std::array<int, 9> kHop23Keys = {3, 7, 8, 10, 13, 15, 21, 22, 26};
constexpr int kHop3Key = 10;

// Per-node accumulator, one 64-byte cache line.
struct Acc {
  i64 k = 0, sd = 0, su = 0, sv = 0, ec = 0, a3 = 0, nbr = -1, pad = 0;
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

struct Scratch {
  std::vector<Acc> acc;
  std::vector<std::uint8_t> seen;
  std::vector<i64> touched;
};

// Entries a thread emitted, kept across calls so their memory is reused;
// a block of rows records which span of its thread's buffers it wrote.
struct ThreadOutput {
  std::array<std::vector<i64>, kNumKeys> cols, vals;
};

struct BlockSpan {
  int thread = 0;
  std::array<i64, kNumKeys> begin{}, end{};
};

int thread_count(int requested) {
#ifdef _OPENMP
  return requested > 0 ? requested : omp_get_max_threads();
#else
  (void)requested;
  return 1;
#endif
}

int thread_id() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

class OrbitRows {
 public:
  OrbitRows(py::array_t<i64, py::array::c_style | py::array::forcecast> indptr,
            py::array_t<i64, py::array::c_style | py::array::forcecast> indices,
            py::array_t<bool, py::array::c_style | py::array::forcecast> wanted, bool need_a3,
            bool counts_only, int threads)
      : indptr_(indptr.data(), indptr.data() + indptr.size()),
        indices_(indices.data(), indices.data() + indices.size()),
        need_a3_(need_a3),
        counts_only_(counts_only),
        threads_(thread_count(threads)) {
    if (wanted.size() != kNumKeys) throw std::invalid_argument("wanted must have 28 entries");
    std::copy(wanted.data(), wanted.data() + kNumKeys, wanted_.begin());
    n_ = static_cast<i64>(indptr_.size()) - 1;
    py::gil_scoped_release release;
    precompute();
    scratch_.resize(threads_);
    outputs_.resize(threads_);
  }

  // Rows u0..u1-1: (row_stat[rows, 28], cols per key, vals per key); see
  // graphrep/orbits/_numba.py::orbit_rows for the exact contract.
  py::tuple operator()(i64 u0, i64 u1) {
    if (u0 < 0 || u1 > n_ || u0 > u1) throw std::out_of_range("row range outside the graph");
    const i64 rows = u1 - u0;
    py::array_t<i64> row_stat({rows, static_cast<i64>(kNumKeys)});
    i64* stat = row_stat.mutable_data();
    std::fill(stat, stat + rows * kNumKeys, 0);
    const i64 block = std::max<i64>(1, std::min<i64>(64, rows / (16 * threads_) + 1));
    const i64 blocks = (rows + block - 1) / block;
    std::vector<BlockSpan> spans(blocks);
    for (auto& out : outputs_)
      for (int key = 0; key < kNumKeys; ++key) {
        out.cols[key].clear();
        out.vals[key].clear();
      }
    {
      py::gil_scoped_release release;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_)
      for (i64 b = 0; b < blocks; ++b) {
        const int id = thread_id();
        Scratch& scratch = thread_scratch(id);
        ThreadOutput& out = outputs_[id];
        BlockSpan& span = spans[b];
        span.thread = id;
        for (int key = 0; key < kNumKeys; ++key) span.begin[key] = static_cast<i64>(out.cols[key].size());
        const i64 first = u0 + b * block;
        const i64 last = std::min(u1, first + block);
        for (i64 u = first; u < last; ++u) row(u, scratch, stat + (u - u0) * kNumKeys, out);
        for (int key = 0; key < kNumKeys; ++key) span.end[key] = static_cast<i64>(out.cols[key].size());
      }
    }
    py::list cols, vals;
    for (int key = 0; key < kNumKeys; ++key) {
      i64 total = 0;
      for (const auto& span : spans) total += span.end[key] - span.begin[key];
      py::array_t<i64> key_cols(total), key_vals(total);
      i64* cdst = key_cols.mutable_data();
      i64* vdst = key_vals.mutable_data();
      for (const auto& span : spans) {
        const i64 count = span.end[key] - span.begin[key];
        const ThreadOutput& out = outputs_[span.thread];
        if (count) {
          std::memcpy(cdst, out.cols[key].data() + span.begin[key], count * sizeof(i64));
          std::memcpy(vdst, out.vals[key].data() + span.begin[key], count * sizeof(i64));
        }
        cdst += count;
        vdst += count;
      }
      cols.append(key_cols);
      vals.append(key_vals);
    }
    return py::make_tuple(row_stat, cols, vals);
  }

  i64 num_triangles() const { return static_cast<i64>(tlist_.size()) / 6; }

 private:
  // t[p] = |N(u) & N(c)| for the edge p = (u, c), by merging sorted lists;
  // tlist[tptr[p]..] holds, for each common neighbour w, the position of the
  // edge (c, w) in N(c), so EC can walk from triangle to triangle.
  void precompute() {
    const i64 m2 = static_cast<i64>(indices_.size());
    deg_.resize(n_);
    for (i64 u = 0; u < n_; ++u) deg_[u] = indptr_[u + 1] - indptr_[u];
    std::vector<i64> t(m2, 0);
#pragma omp parallel for schedule(dynamic, 64) num_threads(threads_)
    for (i64 u = 0; u < n_; ++u)
      for (i64 p = indptr_[u]; p < indptr_[u + 1]; ++p) t[p] = common_neighbours(u, indices_[p], nullptr);
    tptr_.assign(m2 + 1, 0);
    for (i64 p = 0; p < m2; ++p) tptr_[p + 1] = tptr_[p] + t[p];
    tlist_.resize(tptr_[m2]);
#pragma omp parallel for schedule(dynamic, 64) num_threads(threads_)
    for (i64 u = 0; u < n_; ++u)
      for (i64 p = indptr_[u]; p < indptr_[u + 1]; ++p) common_neighbours(u, indices_[p], &tlist_[tptr_[p]]);
    tri_.assign(n_, 0);
    d2_.assign(n_, 0);
    for (i64 u = 0; u < n_; ++u) {
      for (i64 p = indptr_[u]; p < indptr_[u + 1]; ++p) {
        tri_[u] += tptr_[p + 1] - tptr_[p];
        d2_[u] += deg_[indices_[p]];
      }
      tri_[u] /= 2;  // each triangle at u is seen from both of its edges at u
    }
  }

  i64 common_neighbours(i64 u, i64 c, i64* positions) const {
    i64 i = indptr_[u], j = indptr_[c], found = 0;
    const i64 i_end = indptr_[u + 1], j_end = indptr_[c + 1];
    while (i < i_end && j < j_end) {
      if (indices_[i] < indices_[j]) {
        ++i;
      } else if (indices_[i] > indices_[j]) {
        ++j;
      } else {
        if (positions) positions[found] = j;
        ++found;
        ++i;
        ++j;
      }
    }
    return found;
  }

  Scratch& thread_scratch(int id) {
    Scratch& scratch = scratch_[id];
    if (scratch.acc.empty()) {
      scratch.acc.assign(n_, Acc{});
      scratch.seen.assign(n_, 0);
      scratch.touched.resize(n_);
    }
    return scratch;
  }

  void row(i64 u, Scratch& scratch, i64* stat, ThreadOutput& out) const {
    Acc* acc = scratch.acc.data();
    std::uint8_t* seen = scratch.seen.data();
    i64* touched = scratch.touched.data();
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
      touch(indices_[p]);
    }
    // wedges u-c-v
    for (i64 p = begin; p < end; ++p) {
      const i64 c = indices_[p], dc = deg_[c], tuc = tptr_[p + 1] - tptr_[p];
      for (i64 q = indptr_[c]; q < indptr_[c + 1]; ++q) {
        const i64 v = indices_[q];
        if (v == u) continue;
        touch(v);
        Acc& a = acc[v];
        a.k += 1;
        a.sd += dc;
        a.su += tuc;
        a.sv += tptr_[q + 1] - tptr_[q];
      }
    }
    // EC: each triangle (u, c, w) with c < w, extended by every x in N(c) & N(w)
    for (i64 p = begin; p < end; ++p) {
      const i64 c = indices_[p];
      for (i64 e = tptr_[p]; e < tptr_[p + 1]; ++e) {
        const i64 q = tlist_[e];
        if (indices_[q] < c) continue;
        for (i64 f = tptr_[q]; f < tptr_[q + 1]; ++f) {
          const i64 x = indices_[tlist_[f]];
          if (x != u) acc[x].ec += 1;
        }
      }
    }
    // A3[u, :] = A2[u, :] A, with A2[u, u] = d(u)
    if (need_a3_) {
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
    }
    // columns in ascending order: sort a short row, scan the marks of a long one
    if (count * 64 < n_) {
      std::sort(touched, touched + count);
    } else {
      i64 filled = 0;
      for (i64 v = 0; v < n_; ++v)
        if (seen[v]) touched[filled++] = v;
    }
    i64 vals[kNumKeys];
    for (i64 i = 0; i < count; ++i) {
      const i64 v = touched[i];
      Acc& a = acc[v];
      const bool adjacent = a.nbr == u;
      const PairStats s{deg_[u], deg_[v], a.k, a.sd, a.su, a.sv, a.ec, a.a3, tri_[u], tri_[v], d2_[u], d2_[v]};
      auto emit = [&](int key) {
        const i64 value = vals[key];
        if (value == 0 || !wanted_[key]) return;
        if (counts_only_) {
          stat[key] += value;
          return;
        }
        stat[key] += 1;
        out.cols[key].push_back(v);
        out.vals[key].push_back(value);
      };
      if (adjacent) {
        adjacent_values(s, vals);
        for (int key : kHop1Keys) emit(key);
      } else if (a.k > 0) {
        distance_two_values(s, vals);
        for (int key : kHop23Keys) emit(key);
      } else {
        vals[kHop3Key] = a.a3;
        emit(kHop3Key);
      }
      seen[v] = 0;
      const i64 nbr = a.nbr;
      a = Acc{};
      a.nbr = nbr;
    }
  }

  std::vector<i64> indptr_, indices_, deg_, tptr_, tlist_, tri_, d2_;
  std::array<bool, kNumKeys> wanted_{};
  i64 n_ = 0;
  bool need_a3_, counts_only_;
  int threads_;
  std::vector<Scratch> scratch_;
  std::vector<ThreadOutput> outputs_;
};

}  // namespace

void register_orbits(py::module_& m) {
  py::class_<OrbitRows>(m, "OrbitRows",
                        "Precomputed triangle structure of a CSR graph; calling it with (u0, u1) returns "
                        "rows u0..u1-1 of the wanted orbit adjacency matrices.")
      .def(py::init<py::array_t<i64, py::array::c_style | py::array::forcecast>,
                    py::array_t<i64, py::array::c_style | py::array::forcecast>,
                    py::array_t<bool, py::array::c_style | py::array::forcecast>, bool, bool, int>(),
           py::arg("indptr"), py::arg("indices"), py::arg("wanted"), py::arg("need_a3"), py::arg("counts_only"),
           py::arg("threads"))
      .def("__call__", &OrbitRows::operator(), py::arg("u0"), py::arg("u1"))
      .def_property_readonly("num_triangles", &OrbitRows::num_triangles);
}
